// The subscription web service's formats (connectors/subscriptions/abonnement.h): the same bytes
// read as an <abonnement> (checked as a create and as an update, and a valid record written back
// must read and check again to the same record) and as <filtres> (checked for a caller).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "connectors/subscriptions/abonnement.h"
#include "fuzz_world.h"

using namespace garde;
namespace abo = garde::connectors::subscriptions;

namespace {

constexpr const char* kPub = "123456789_0000000000000001";

void checkBothWays(const abo::AbonnementFields& fields) {
  abo::AbonnementContext ctx;
  ctx.path_id = fields.id.value_or("ABO_1");
  ctx.caller_id = kPub;
  ctx.resource_publisher = std::string(kPub);
  for (const auto& uai : fields.uais) {
    ctx.known_natures[uai] =
        uai.size() % 2 == 0 ? std::optional<std::string>("151") : std::optional<std::string>();
  }
  const abo::AbonnementCheck created = abo::checkAbonnement(fields, ctx);
  if (created.record.has_value() == !created.problems.empty()) {
    std::abort();  // a record exactly when there is no problem
  }
  if (created.record) {
    // What garde writes back, it reads back the same.
    auto again = abo::parseAbonnement(abo::writeAbonnement(*created.record));
    if (!again) {
      std::abort();
    }
    const abo::AbonnementCheck rechecked = abo::checkAbonnement(*again, ctx);
    if (!rechecked.record || rechecked.record->uais != created.record->uais ||
        rechecked.record->valid_until != created.record->valid_until ||
        rechecked.record->comment != created.record->comment) {
      std::abort();
    }
    (void)abo::writeAbonnements({*created.record});
  }
  store::SubscriptionRecord existing;
  existing.uais = {"0561534N"};
  ctx.operation = abo::AbonnementOperation::kUpdate;
  ctx.existing = &existing;
  (void)abo::checkAbonnement(fields, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  if (auto fields = abo::parseAbonnement(text)) {
    checkBothWays(*fields);
  }
  if (auto filters = abo::parseFiltres(text)) {
    const abo::FilterCheck check = abo::checkFilters(*filters, kPub);
    std::vector<abo::FieldProblem> problems = check.problems;
    (void)abo::writeErrors("filtre_invalide", problems);
  }
  return 0;
}
