#include "broker/demo/demo_peers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include "broker/demo/html.h"
#include "broker/demo/peers.h"
#include "core/file.h"
#include "core/log.h"
#include "core/random.h"
#include "core/time.h"

namespace garde::broker::demo {
namespace {

constexpr core::Logger kLog("broker.demo");

void writeFile(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  // Created with its final mode (no window where a key is world-readable); an existing file is
  // replaced, so its mode is reset too.
  std::filesystem::remove(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot write " + path.string());
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

/// The peer's key and certificate from `dir`, generated when absent or unreadable. RSA, so that the
/// broker can encrypt for publisher A.
saml::Credential loadOrCreate(const std::filesystem::path& dir, const std::string& name,
                              const std::string& common_name) {
  const auto key_path = dir / (name + "-key.pem");
  const auto cert_path = dir / (name + "-cert.pem");
  if (std::filesystem::exists(key_path) && std::filesystem::exists(cert_path)) {
    auto key = core::readFile(key_path.string());
    auto cert = core::readFile(cert_path.string());
    if (key && cert) {
      auto k = saml::PrivateKey::fromPem(*key);
      auto c = saml::Certificate::fromPem(*cert);
      if (k && c && k->matches(*c) && c->notAfter() > core::systemNow() + 86400) {
        std::filesystem::permissions(
            key_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        return {std::move(k).value(), std::move(c).value()};
      }
    }
    kLog.warn("demo: replacing an unusable key or certificate", {{"file", key_path.string()}});
  }
  saml::PrivateKey key = saml::PrivateKey::generateRsa(2048);
  saml::Certificate cert =
      saml::selfSign(key, common_name, core::systemNow(), core::systemRandom(), 3650);
  writeFile(key_path, key.pem(), 0600);
  writeFile(cert_path, cert.pem(), 0644);
  kLog.info("demo: generated a key", {{"file", key_path.string()}});
  return {std::move(key), std::move(cert)};
}

}  // namespace

void mountLanding(Router& router, const DemoSettings& settings) {
  const std::string ent = settings.base_url + kEntPath + "/";
  const std::string body =
      "<p class=\"card\">garde stands between the schools' portals (ENTs) and the publishers of "
      "digital resources: the ENT tells garde who you are, and garde tells each publisher only "
      "what its contract needs, under a pseudonym of its own. Open the ENT's médiacentre, pick a "
      "resource and a demo pupil or teacher, and the publisher's page shows exactly what it "
      "received.</p>\n<p><a id=\"ent-portal\" href=\"" +
      htmlEscape(ent) +
      "\"><strong>Open the ENT's médiacentre</strong></a></p>\n<h2>What runs here</h2>\n<table>\n"
      "<tr><th>Demo ENT (identity provider)</th><td><a href=\"" +
      htmlEscape(ent) + "\">" + htmlEscape(ent) + "</a></td></tr>\n" +
      "<tr><th>garde (the broker)</th><td><code>" + htmlEscape(settings.base_url) +
      "/saml/...</code>, <code>/launch/...</code>, <code>/domaineGar</code></td></tr>\n" +
      "<tr><th>Demo publisher A (bounce launch, encrypted assertions)</th><td><a href=\"" +
      htmlEscape(settings.base_url + kPublisherAPath + "/resource") + "\">" +
      htmlEscape(settings.base_url + kPublisherAPath) + "</a></td></tr>\n" +
      "<tr><th>Demo publisher B (direct launch)</th><td><a href=\"" +
      htmlEscape(settings.base_url + kPublisherBPath + "/resource") + "\">" +
      htmlEscape(settings.base_url + kPublisherBPath) + "</a></td></tr>\n</table>\n" +
      "<p class=\"muted\">Every peer here is built on garde's own SAML library, with its own key "
      "and self-signed certificate. Names and identifiers are fictitious. See docs/demo.md.</p>";
  router.get(kDemoPath, CallerAuth::kNone,
             [](const Request&) { return Response::redirect(std::string(kDemoPath) + "/"); });
  router.get(std::string(kDemoPath) + "/", CallerAuth::kNone,
             [body](const Request&) { return htmlPage(200, Site::kLanding, "garde demo", body); });
}

store::DemoPeers installDemoPeers(Router& router, const DemoSettings& settings) {
  std::filesystem::create_directories(settings.key_dir);
  std::filesystem::permissions(settings.key_dir, std::filesystem::perms::owner_all);

  mountLanding(router, settings);
  const MountedPeer ent = mountEntIdp(
      router, settings, loadOrCreate(settings.key_dir, "demo-ent-idp", "garde demo ENT IdP"));
  const MountedPeer a = mountPublisherSp(
      router, settings, PublisherKind::kA,
      loadOrCreate(settings.key_dir, "demo-publisher-a", "garde demo publisher A"));
  const MountedPeer b = mountPublisherSp(
      router, settings, PublisherKind::kB,
      loadOrCreate(settings.key_dir, "demo-publisher-b", "garde demo publisher B"));

  store::DemoPeers peers;
  peers.ent_idp_entity_id = ent.entity_id;
  peers.ent_idp_metadata_xml = ent.metadata_xml;
  peers.publisher_a_sp_entity_id = a.entity_id;
  peers.publisher_a_sp_metadata_xml = a.metadata_xml;
  peers.publisher_a_base_url = a.base_url;
  peers.publisher_b_sp_entity_id = b.entity_id;
  peers.publisher_b_sp_metadata_xml = b.metadata_xml;
  peers.publisher_b_base_url = b.base_url;
  return peers;
}

}  // namespace garde::broker::demo
