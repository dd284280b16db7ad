#include "broker/flows/errors.h"

namespace garde::broker::flows {
namespace {

saml::Status responder(std::string_view sub) {
  saml::Status s;
  s.code = std::string(saml::status_code::kResponder);
  s.sub_code = std::string(sub);
  return s;
}

}  // namespace

ErrorMapping mapError(core::ErrorCode code) noexcept {
  using core::ErrorCode;
  using namespace saml::status_code;
  const std::string_view reason = core::errorCodeName(code);
  switch (code) {
    case ErrorCode::kMalformedMessage:
    case ErrorCode::kForbiddenXml:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kBadEncoding:
    case ErrorCode::kDuplicateId:
    case ErrorCode::kBadRequest:
    case ErrorCode::kForbidden:
      return {400, responder(kRequestDenied), reason,
              "La demande de connexion reçue est invalide ou incomplète."};
    case ErrorCode::kSignatureMissing:
    case ErrorCode::kSignatureInvalid:
    case ErrorCode::kSignatureProfile:
    case ErrorCode::kNoTrustedKey:
    case ErrorCode::kAudienceMismatch:
    case ErrorCode::kRecipientMismatch:
    case ErrorCode::kDestinationMismatch:
    case ErrorCode::kIssuerMismatch:
    case ErrorCode::kInResponseToMismatch:
    case ErrorCode::kNotYetValid:
    case ErrorCode::kReplayed:
    case ErrorCode::kStatusNotSuccess:
    case ErrorCode::kDecryptionFailed:
      return {403, responder(kAuthnFailed), reason,
              "L'authentification auprès de votre ENT n'a pas pu être vérifiée."};
    case ErrorCode::kAlgorithmForbidden:
      // From the ENT or from the publisher: the page does not say which (the notes that a
      // publisher's refusal adds do), and a publisher's request gets Requester (idp_sso.cpp).
      return {403, responder(kRequestUnsupported), reason,
              "Le message de connexion reçu est signé ou chiffré avec un algorithme que le service "
              "refuse."};
    case ErrorCode::kNoPassive:
      return {403, responder(kNoPassive), reason,
              "Votre ENT n'a pas pu vous connecter sans vous le demander. Relancez la ressource "
              "depuis votre ENT."};
    case ErrorCode::kExpired:
      return {403, responder(kAuthnFailed), reason,
              "La demande de connexion a expiré. Relancez la ressource depuis votre ENT."};
    case ErrorCode::kUnknownUser:
      return {403, responder(kUnknownPrincipal), reason,
              "Votre compte n'est pas connu de l'annuaire transmis par votre ENT."};
    case ErrorCode::kNotEntitled:
      return {403, responder(kRequestDenied), reason,
              "Cette ressource ne vous est pas attribuée dans cet établissement."};
    case ErrorCode::kUnknownPeer:
    case ErrorCode::kUnknownResource:
    case ErrorCode::kNotFound:
      return {404, responder(kRequestDenied), reason,
              "L'ENT, l'établissement ou la ressource demandés ne sont pas connus."};
    case ErrorCode::kConflict:
      return {409, responder(kRequestDenied), reason,
              "La demande n'a pas pu aboutir. Réessayez plus tard."};
    case ErrorCode::kReplayCacheFull:
      return {
          503, responder({}), reason,
          "Le service reçoit trop de connexions en ce moment. Réessayez dans quelques minutes."};
    case ErrorCode::kReplayCacheUnavailable:
    case ErrorCode::kStoreError:
    case ErrorCode::kUnavailable:
      return {503, responder({}), reason,
              "Le service est momentanément indisponible. Réessayez dans quelques minutes."};
    case ErrorCode::kConfigInvalid:
    case ErrorCode::kInternal:
      break;
  }
  return {500, responder({}), reason, "Une erreur interne est survenue."};
}

}  // namespace garde::broker::flows
