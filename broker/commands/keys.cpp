// `garde keys generate|show|rollover-plan`: garde's own signing keys and their rollover
// (docs/key-rollover.md). generate makes a key and its self-signed certificate (the metadata is
// what peers trust, not a CA); show says what the config's keys are; rollover-plan says, from the
// config and the files, what to publish, when to switch and when to retire the old key.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/commands/serve.h"
#include "config/config.h"
#include "core/private_files.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/keys.h"

namespace garde::broker::commands {
namespace {

constexpr std::int64_t kDay = 86400;

struct KeysOptions {
  std::string config;
  std::string key_out;
  std::string cert_out;
  std::string common_name = "garde signing";
  int days = 730;
  int rsa_bits = 3072;
};

void generate(const KeysOptions& o) {
  const char* command = "keys generate";
  for (const std::string* path : {&o.key_out, &o.cert_out}) {
    if (std::filesystem::exists(*path)) {
      fail(command, *path + " exists: garde never overwrites a key (choose another name)");
    }
  }
  if (o.rsa_bits != 2048 && o.rsa_bits != 3072 && o.rsa_bits != 4096) {
    fail(command, "--rsa-bits: 2048, 3072 or 4096", kExitUsage);
  }
  saml::PrivateKey key = saml::PrivateKey::generateRsa(o.rsa_bits);
  saml::Certificate cert =
      saml::selfSign(key, o.common_name, core::systemNow(), core::systemRandom(), o.days);
  if (auto w = core::writeOwnerOnlyFile(o.key_out, key.pem()); !w) {
    fail(command, "cannot write " + o.key_out + ": " + w.error().detail);
  }
  if (auto w = core::writeOwnerOnlyFile(o.cert_out, cert.pem()); !w) {
    fail(command, "cannot write " + o.cert_out + ": " + w.error().detail);
  }
  std::cout << "key\t" << o.key_out << " (0600)\ncertificate\t" << o.cert_out << "\nsha256\t"
            << cert.fingerprint() << "\nnot_after\t" << core::formatIso8601(cert.notAfter())
            << "\n";
}

void printKey(const char* role, const saml::Credential& c, core::UnixTime now) {
  std::cout << role << "\tsha256 " << c.cert.fingerprint() << "\tsubject " << c.cert.subject()
            << "\tnot_after " << core::formatIso8601(c.cert.notAfter()) << " ("
            << (c.cert.notAfter() - now) / kDay << " days)\n";
}

void show(const KeysOptions& o) {
  const config::Config cfg = config::loadConfig(o.config);
  const core::UnixTime now = core::systemNow();
  const saml::Credential signing = loadSigning(cfg.broker);
  printKey("signing", signing, now);
  if (auto next = loadNextSigning(cfg.broker, signing)) {
    printKey("next", *next, now);
  } else {
    std::cout << "next\t(none: no rollover in progress)\n";
  }
  std::cout << "metadata\tvalidUntil = made + " << cfg.broker.metadata_validity.count() / 3600
            << " h, cacheDuration " << cfg.broker.metadata_cache.count() / 3600 << " h\n";
}

/// When the file at `path` last changed: when the operator put the key in the config, at the
/// latest (what the plan counts from when nothing better is known).
core::UnixTime changedAt(const std::string& path) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(path, ec);
  if (ec) {
    return core::systemNow();
  }
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

void rolloverPlan(const KeysOptions& o) {
  const config::Config cfg = config::loadConfig(o.config);
  const core::UnixTime now = core::systemNow();
  const saml::Credential signing = loadSigning(cfg.broker);
  const auto next = loadNextSigning(cfg.broker, signing);
  // A peer may hold a copy of garde's metadata until its validUntil: a key published now is known
  // to every peer that honours validUntil after that long, and one removed now is still trusted
  // by some for as long.
  const std::int64_t wait = cfg.broker.metadata_validity.count();
  const std::string days = std::to_string(wait / kDay) + " day(s) " +
                           std::to_string((wait % kDay) / 3600) + " h";
  std::cout << "signing key " << signing.cert.fingerprint().substr(0, 16) << "…, expires "
            << core::formatIso8601(signing.cert.notAfter()) << "\n";
  if (!next) {
    const core::UnixTime expires = signing.cert.notAfter();
    std::cout << (expires - now < 60 * kDay ? "It expires within 60 days: start now.\n" : "")
              << "1. garde keys generate --key next-signing-key.pem --cert next-signing-cert.pem\n"
              << "2. Set broker.next_signing_key_file and broker.next_signing_cert_file to them and "
                 "restart each node in turn: both metadata documents publish the new key at once "
                 "(signing and encryption), and garde decrypts with either.\n"
              << "3. Wait " << days
              << " (broker.metadata_validity): by then every peer's copy of garde's metadata has "
                 "the new key.\n"
              << "4. Switch: the new files as broker.signing_*, the old ones as "
                 "broker.next_signing_*; restart each node. garde signs with the new key; the old "
                 "one still decrypts and stays published.\n"
              << "5. Wait " << days
              << " again, then remove broker.next_signing_*: the old key is retired.\n";
    return;
  }
  const core::UnixTime since = changedAt(cfg.broker.next_signing_cert_file);
  const core::UnixTime ready = since + wait;
  std::cout << "next key " << next->cert.fingerprint().substr(0, 16) << "…, in the config since "
            << core::formatIso8601(since) << " (its certificate file's date)\n";
  if (next->cert.notAfter() > signing.cert.notAfter()) {
    // The usual case: the next key is the newer one, waiting to sign.
    std::cout << (now >= ready ? "Every peer can know it now: switch (swap broker.signing_* and "
                                 "broker.next_signing_*, restart each node).\n"
                               : "Switch on or after " + core::formatIso8601(ready) +
                                     ": swap broker.signing_* and broker.next_signing_*, restart "
                                     "each node.\n");
  } else {
    // After the switch: the old key, published and decrypting, waiting to be retired.
    std::cout << (now >= ready ? "The old key may be retired now: remove broker.next_signing_* "
                                 "and restart each node.\n"
                               : "Retire the old key (remove broker.next_signing_*) on or after " +
                                     core::formatIso8601(ready) + ".\n");
  }
}

}  // namespace

void addKeys(CLI::App& app) {
  auto o = std::make_shared<KeysOptions>();
  CLI::App& group = subcommandGroup(app, "keys", "garde's own signing keys and their rollover");
  CLI::App* g = group.add_subcommand("generate", "A new signing key and its certificate (0600)");
  g->add_option("--key", o->key_out, "where to write the private key (PEM)")->required();
  g->add_option("--cert", o->cert_out, "where to write the certificate (PEM)")->required();
  g->add_option("--cn", o->common_name, "the certificate's common name");
  g->add_option("--days", o->days, "validity in days (default 730)")->check(CLI::Range(30, 3650));
  g->add_option("--rsa-bits", o->rsa_bits, "2048, 3072 (default) or 4096");
  g->callback([o] { generate(*o); });
  CLI::App* s = group.add_subcommand("show", "The config's signing and next keys");
  s->add_option("--config", o->config, "garde.toml")->required();
  s->callback([o] { show(*o); });
  CLI::App* p = group.add_subcommand("rollover-plan", "What to publish and when to switch");
  p->add_option("--config", o->config, "garde.toml")->required();
  p->callback([o] { rolloverPlan(*o); });
}

}  // namespace garde::broker::commands
