#pragma once
/// @file The médiacentre API an ENT project calls with its client certificate
/// (docs/mediacentre.md):
///
///   GET /ressources/{idENT}/{UAI}/{identifier at the ENT}   the person's resources (GAR JSON)
///   GET /ressourcesDiffusables                               the catalogue (GAR XML)
///
/// The list is broker::flows::entitledResources, the function a launch's entitlement goes by: a
/// resource is listed if and only if its launch would be allowed. Each entry's urlAccesRessource
/// is garde's /domaineGar launch link. Answers are gzip-compressed when the client accepts it.

#include <string>
#include <string_view>
#include <vector>

#include "broker/flows/db_pool.h"
#include "broker/flows/live.h"
#include "broker/request.h"
#include "broker/router.h"
#include "connectors/publisher/publisher_side.h"
#include "core/time.h"
#include "store/launch.h"

namespace garde::broker::api {

struct MediacentreDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  store::ResourceCache& resources;
  const flows::Live<connectors::publisher::PublisherRegistry>& publishers;
  std::string base_url;  ///< broker.base_url, for the launch links
};

/// One entry of GET /ressources's list: what the GAR JSON names of a resource.
struct ResourceListing {
  std::string_view id;
  std::string_view name;
  std::string_view publisher_id;
  std::string_view publisher_name;
  std::string_view category;    ///< garde's category, presented as the GAR's typePresentation
  std::string_view launch_url;  ///< urlAccesRessource
  std::string_view logo_url = {};  ///< urlVignette: the contract's logo, empty when none
};

/// The GAR JSON of the list, {"listeRessources":{"ressource":[...]}}, written as text: byte for
/// byte what boost::json::serialize wrote of the same objects before (tests/broker/
/// mediacentre_json_test.cpp compares them, hostile strings included), without building them.
std::string writeResourceList(const std::vector<ResourceListing>& resources);

/// GET /ressources/{idENT}/{UAI}/{id}: only for the ENT project `idENT` itself (Caller kind
/// kEntProject, id idENT); 403 otherwise. 404 (GAR error JSON) for an establishment that is not
/// that ENT's, or a person the ENT's directory does not hold; an empty list for a person with no
/// profile in that establishment.
Response handleResourceList(const Request& req, const MediacentreDeps& deps);

/// GET /ressourcesDiffusables: every resource with an approved contract whose publisher is
/// registered, for ENT projects.
Response handleDistributableResources(const Request& req, const MediacentreDeps& deps);

/// Both routes, CallerAuth::kClientCertificate.
void mountMediacentre(Router& router, const MediacentreDeps& deps);

}  // namespace garde::broker::api
