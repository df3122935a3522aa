// XEP-0045 Multi-User Chat 1.34 roles, affiliations and who may change them.
#include "modules/xep0045_muc/muc.h"

namespace rampart::modules::muc {

std::string_view affiliationName(Affiliation a) {
  switch (a) {
    case Affiliation::kOutcast: return "outcast";
    case Affiliation::kNone: return "none";
    case Affiliation::kMember: return "member";
    case Affiliation::kAdmin: return "admin";
    case Affiliation::kOwner: return "owner";
  }
  return "none";
}

std::string_view roleName(Role r) {
  switch (r) {
    case Role::kNone: return "none";
    case Role::kVisitor: return "visitor";
    case Role::kParticipant: return "participant";
    case Role::kModerator: return "moderator";
  }
  return "none";
}

std::optional<Affiliation> parseAffiliation(std::string_view s) {
  if (s == "outcast") return Affiliation::kOutcast;
  if (s == "none") return Affiliation::kNone;
  if (s == "member") return Affiliation::kMember;
  if (s == "admin") return Affiliation::kAdmin;
  if (s == "owner") return Affiliation::kOwner;
  return std::nullopt;
}

std::optional<Role> parseRole(std::string_view s) {
  if (s == "none") return Role::kNone;
  if (s == "visitor") return Role::kVisitor;
  if (s == "participant") return Role::kParticipant;
  if (s == "moderator") return Role::kModerator;
  return std::nullopt;
}

Role defaultRole(Affiliation a, bool moderated) {
  switch (a) {
    case Affiliation::kOwner:
    case Affiliation::kAdmin:
      return Role::kModerator;
    case Affiliation::kMember:
      return Role::kParticipant;
    case Affiliation::kNone:
      return moderated ? Role::kVisitor : Role::kParticipant;
    case Affiliation::kOutcast:
      return Role::kNone;
  }
  return Role::kNone;
}

bool mayChangeRole(Affiliation actorAff, Role actorRole, Affiliation targetAff, Role r) {
  if (actorRole != Role::kModerator || targetAff > actorAff) {
    return false;
  }
  if (r == Role::kModerator) {
    return actorAff >= Affiliation::kAdmin;  // section 9.6: admins grant moderator status
  }
  if (targetAff >= Affiliation::kAdmin) {
    return actorAff > targetAff;  // section 8.2: never kick or silence an equal or higher
  }
  return true;
}

bool mayChangeAffiliation(Affiliation actor, Affiliation from, Affiliation to) {
  if (actor == Affiliation::kOwner) {
    return true;
  }
  if (actor == Affiliation::kAdmin) {
    // Section 9: admins manage members and outcasts, not admins or owners.
    return from <= Affiliation::kMember && to <= Affiliation::kMember;
  }
  return false;
}

Affiliation Room::affiliationOf(const std::string& bare) const {
  auto it = affiliations.find(bare);
  return it == affiliations.end() ? Affiliation::kNone : it->second;
}

Occupant* Room::occupantBySession(const core::Jid& full) {
  for (auto& [nick, o] : occupants) {
    for (const auto& s : o.sessions) {
      if (s == full) {
        return &o;
      }
    }
  }
  return nullptr;
}

}  // namespace rampart::modules::muc
