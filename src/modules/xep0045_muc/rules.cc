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

std::string_view roleChangeError(Affiliation actorAff, Role actorRole, Affiliation targetAff,
                                 Role r) {
  if (actorRole != Role::kModerator) {
    return "forbidden";  // section 8: only moderators change roles
  }
  if (targetAff > actorAff) {
    return "not-allowed";  // section 8.2: never act on a higher affiliation
  }
  if (r == Role::kModerator) {
    // Section 9.6: admins grant moderator status; anyone else lacks the privilege.
    return actorAff >= Affiliation::kAdmin ? std::string_view{} : "forbidden";
  }
  if (targetAff >= Affiliation::kAdmin && actorAff <= targetAff) {
    return "not-allowed";  // sections 8.2, 8.5, 9.7: never kick or silence an admin or owner
  }
  return {};
}

bool mayChangeRole(Affiliation actorAff, Role actorRole, Affiliation targetAff, Role r) {
  return roleChangeError(actorAff, actorRole, targetAff, r).empty();
}

std::string_view affiliationChangeError(Affiliation actor, Affiliation from, Affiliation to) {
  if (actor == Affiliation::kOwner) {
    return {};
  }
  if (actor != Affiliation::kAdmin) {
    return "forbidden";  // section 9: affiliations are for admins and owners
  }
  // Section 9: admins manage members and outcasts.
  if (from <= Affiliation::kMember && to <= Affiliation::kMember) {
    return {};
  }
  if (from > actor && to == Affiliation::kOutcast) {
    return "not-allowed";  // section 9.1: an admin may not ban an owner
  }
  return "forbidden";  // sections 10.5, 10.8: only owners edit the owner and admin lists
}

bool mayChangeAffiliation(Affiliation actor, Affiliation from, Affiliation to) {
  return affiliationChangeError(actor, from, to).empty();
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
