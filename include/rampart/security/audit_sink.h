#pragma once
// Audit events and the one sink they go to (GB/T 22239-2019 8.1.4.3 security audit). Every
// part of the server that records an audit event builds an AuditEvent and hands it to the
// AuditSink; callers never format audit lines themselves. Implementations are thread-safe and
// may block (call them from the storage thread or rampartctl, never from a network thread).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::security {

// What happened: the event types, one named constant each. Later controls add theirs here;
// docs/administration.md lists them all (tested against kAuditActions).
namespace audit_action {
inline constexpr std::string_view kAdminSignIn = "admin.sign_in";
inline constexpr std::string_view kAdminSignOut = "admin.sign_out";
inline constexpr std::string_view kAdminPasswordChange = "admin.password_change";
inline constexpr std::string_view kAdminTotpEnrol = "admin.totp_enrol";
inline constexpr std::string_view kAdminTotpReset = "admin.totp_reset";
inline constexpr std::string_view kAdminRecoveryCodeUse = "admin.recovery_code_use";
inline constexpr std::string_view kAccountSignIn = "account.sign_in";
inline constexpr std::string_view kAccountSignOut = "account.sign_out";
inline constexpr std::string_view kAccountTotpEnrol = "account.totp_enrol";
inline constexpr std::string_view kAccountRecoveryCodes = "account.recovery_codes";
inline constexpr std::string_view kAccountRecoveryCodeUse = "account.recovery_code_use";
inline constexpr std::string_view kAccountPasskeyAdd = "account.passkey_add";
inline constexpr std::string_view kAccountPasskeyRemove = "account.passkey_remove";
inline constexpr std::string_view kAccountPhone = "account.phone";
inline constexpr std::string_view kAccountQuestions = "account.security_questions";
inline constexpr std::string_view kAccountPasswordReset = "account.password_reset";
inline constexpr std::string_view kAccessDenied = "admin.access_denied";
inline constexpr std::string_view kAllowListRefused = "admin.allow_list_refused";
inline constexpr std::string_view kRoleGrant = "role.grant";
inline constexpr std::string_view kRoleRevoke = "role.revoke";
inline constexpr std::string_view kRoleList = "role.list";
inline constexpr std::string_view kTokenCreate = "token.create";
inline constexpr std::string_view kTokenRevoke = "token.revoke";
inline constexpr std::string_view kTokenList = "token.list";
inline constexpr std::string_view kUserCreate = "user.create";
inline constexpr std::string_view kUserDelete = "user.delete";
inline constexpr std::string_view kUserPassword = "user.password";
inline constexpr std::string_view kSessionEnd = "session.end";
inline constexpr std::string_view kUserFreeze = "user.freeze";
inline constexpr std::string_view kUserUnfreeze = "user.unfreeze";
inline constexpr std::string_view kUserRequireSecondFactor = "user.require_second_factor";
inline constexpr std::string_view kUserLogout = "user.logout";
inline constexpr std::string_view kDeviceCreate = "device.create";
inline constexpr std::string_view kDeviceRevoke = "device.revoke";
inline constexpr std::string_view kLoginRead = "login.read";
inline constexpr std::string_view kLockClear = "lock.clear";
inline constexpr std::string_view kConfigChange = "config.change";
inline constexpr std::string_view kPolicyChange = "policy.change";
inline constexpr std::string_view kServiceStart = "service.start";
inline constexpr std::string_view kServiceStop = "service.stop";
inline constexpr std::string_view kServiceReload = "service.reload";
inline constexpr std::string_view kTlsCertificate = "tls.certificate";
inline constexpr std::string_view kAuditRead = "audit.read";
inline constexpr std::string_view kAuditExport = "audit.export";
inline constexpr std::string_view kAuditVerify = "audit.verify";
inline constexpr std::string_view kAuditPrune = "audit.prune";
// The retention scheduler deleted expired data (details: kind, deleted, days; object: where).
inline constexpr std::string_view kRetentionPurge = "retention.purge";
// Data residency: personal data sent out of its tenant's region (details: purpose,
// from_region, to_region, destination); success when sent, denied when the policy refused it.
inline constexpr std::string_view kDataTransfer = "data.transfer";
inline constexpr std::string_view kAlertAcknowledge = "alert.acknowledge";
// An administrator asked a view for the personal data it shows masked (object: the request).
inline constexpr std::string_view kPersonalReveal = "personal.reveal";
// Content security: decisions on the message path (actor: the sender) ...
inline constexpr std::string_view kContentBlock = "content.block";
inline constexpr std::string_view kContentWarn = "content.warn";
inline constexpr std::string_view kContentOverride = "content.override";
inline constexpr std::string_view kContentQuarantine = "content.quarantine";
inline constexpr std::string_view kContentE2eeRefused = "content.e2ee_refused";
inline constexpr std::string_view kContentReport = "content.report";
inline constexpr std::string_view kUploadRefused = "upload.refused";
// ... and the reviewers' work on held messages.
inline constexpr std::string_view kQuarantineView = "quarantine.view";
inline constexpr std::string_view kQuarantineApprove = "quarantine.approve";
inline constexpr std::string_view kQuarantineReject = "quarantine.reject";
// Data at rest: a tenant's data key rotated (object: the tenant; details: the new version).
inline constexpr std::string_view kKeyRotate = "key.rotate";
// A person's rights: all data of an account exported (details: the file written), or the
// account erased. Recorded before the operation; a failure is recorded after it.
inline constexpr std::string_view kUserExport = "user.export";
inline constexpr std::string_view kUserErase = "user.erase";
// Consent to the tenant's privacy notice: accepted (details: version, channel), or withdrawn
// (followed by user.erase).
inline constexpr std::string_view kConsentAccept = "privacy.consent";
inline constexpr std::string_view kConsentWithdraw = "privacy.withdraw";
// Legal hold set on or cleared from an account or a room (object: its JID; reason).
inline constexpr std::string_view kHoldSet = "hold.set";
inline constexpr std::string_view kHoldClear = "hold.clear";
}  // namespace audit_action

enum class AuditResult { kSuccess, kFailure, kDenied };
std::string_view auditResultName(AuditResult r);

struct AuditEvent {
  std::string_view action;  // one of audit_action::k*
  std::string actor;        // account JID, or "local:NAME" for the OS user running rampartctl
  std::string role;         // the actor's administrator role, if any
  std::string source;       // client address, or "local" for rampartctl
  std::string client;       // user agent, "rampartctl", or "token:ID"
  std::string tenant;       // virtual host concerned; empty for the whole server
  std::string object;       // what was acted on (a JID, a role grant, a token id, ...)
  AuditResult result = AuditResult::kSuccess;
  std::string reason;       // why it failed or was denied
  std::string requestId;
  // A few extra named values (no secrets, no message content).
  std::vector<std::pair<std::string, std::string>> details;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Durable and part of the tamper-evident log when ok. A failure means the action the event
  // records must not happen (fail closed); the sink raises its own alert.
  virtual core::Status record(const AuditEvent& event) = 0;
};

}  // namespace rampart::security
