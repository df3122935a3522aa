#include "security/encryption/pkcs11_provider.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include <fstream>
#include <vector>

namespace rampart::security::encryption {

struct Pkcs11Provider::State {
  void* lib = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  CK_SESSION_HANDLE session = 0;
  CK_OBJECT_HANDLE key = 0;
  bool initialized = false;
  ~State() {
    if (f != nullptr) {
      if (session != 0) {
        f->C_Logout(session);
        f->C_CloseSession(session);
      }
      if (initialized) f->C_Finalize(nullptr);
    }
    if (lib != nullptr) dlclose(lib);
  }
};

namespace {

constexpr std::size_t kIv = 12;

std::string rvText(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

std::string trimLabel(const unsigned char* label, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

Pkcs11Provider::Pkcs11Provider(std::unique_ptr<State> s) : s_(std::move(s)) {}
Pkcs11Provider::~Pkcs11Provider() = default;

core::Result<std::shared_ptr<Pkcs11Provider>> Pkcs11Provider::open(const Pkcs11Options& o) {
  auto fail = [](const std::string& what) {
    return core::Status::failedPrecondition("PKCS#11 key provider: " + what);
  };
  auto s = std::make_unique<State>();
  s->lib = dlopen(o.module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (s->lib == nullptr) return fail("cannot load " + o.module + ": " + dlerror());
  auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(s->lib, "C_GetFunctionList"));
  if (getList == nullptr || getList(&s->f) != CKR_OK || s->f == nullptr) {
    return fail(o.module + " is not a PKCS#11 library");
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = s->f->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return fail("C_Initialize: " + rvText(rv));
  s->initialized = rv == CKR_OK;
  CK_ULONG count = 0;
  if ((rv = s->f->C_GetSlotList(CK_TRUE, nullptr, &count)) != CKR_OK) {
    return fail("C_GetSlotList: " + rvText(rv));
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0 && (rv = s->f->C_GetSlotList(CK_TRUE, slots.data(), &count)) != CKR_OK) {
    return fail("C_GetSlotList: " + rvText(rv));
  }
  std::optional<CK_SLOT_ID> slot;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO info{};
    if (s->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
        trimLabel(info.label, sizeof info.label) == o.token) {
      slot = slots[i];
      break;
    }
  }
  if (!slot) return fail("no token labelled \"" + o.token + "\"");
  std::string pin;
  {
    std::ifstream in(o.pinFile);
    if (!in || !std::getline(in, pin)) return fail("cannot read the PIN file " + o.pinFile);
  }
  rv = s->f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                           &s->session);
  if (rv != CKR_OK) return fail("C_OpenSession: " + rvText(rv));
  rv = s->f->C_Login(s->session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()),
                     pin.size());
  OPENSSL_cleanse(pin.data(), pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return fail("C_Login: " + rvText(rv));

  // The master key: found by its label, or made on the token now.
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  std::string label = o.keyLabel;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &type, sizeof type},
                         {CKA_LABEL, label.data(), label.size()}};
  if ((rv = s->f->C_FindObjectsInit(s->session, find, 3)) != CKR_OK) {
    return fail("C_FindObjectsInit: " + rvText(rv));
  }
  CK_ULONG found = 0;
  rv = s->f->C_FindObjects(s->session, &s->key, 1, &found);
  s->f->C_FindObjectsFinal(s->session);
  if (rv != CKR_OK) return fail("C_FindObjects: " + rvText(rv));
  if (found == 0) {
    CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_KEY_TYPE, &type, sizeof type},
                           {CKA_LABEL, label.data(), label.size()},
                           {CKA_VALUE_LEN, &len, sizeof len},
                           {CKA_TOKEN, &yes, sizeof yes},
                           {CKA_PRIVATE, &yes, sizeof yes},
                           {CKA_SENSITIVE, &yes, sizeof yes},
                           {CKA_EXTRACTABLE, &no, sizeof no},
                           {CKA_ENCRYPT, &yes, sizeof yes},
                           {CKA_DECRYPT, &yes, sizeof yes}};
    rv = s->f->C_GenerateKey(s->session, &gen, tmpl, sizeof tmpl / sizeof tmpl[0], &s->key);
    if (rv != CKR_OK) return fail("generating the master key on the token: " + rvText(rv));
  }
  return std::shared_ptr<Pkcs11Provider>(new Pkcs11Provider(std::move(s)));
}

core::Result<std::string> Pkcs11Provider::crypt(bool encrypt, std::string_view iv,
                                                std::string_view aad, std::string_view in) {
  std::string ivCopy(iv), aadCopy(aad), input(in);
  CK_GCM_PARAMS params{};
  params.pIv = reinterpret_cast<CK_BYTE_PTR>(ivCopy.data());
  params.ulIvLen = ivCopy.size();
  params.ulIvBits = ivCopy.size() * 8;
  params.pAAD = reinterpret_cast<CK_BYTE_PTR>(aadCopy.data());
  params.ulAADLen = aadCopy.size();
  params.ulTagBits = 128;
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  std::lock_guard lock(mu_);
  auto* f = s_->f;
  CK_RV rv = encrypt ? f->C_EncryptInit(s_->session, &mech, s_->key)
                     : f->C_DecryptInit(s_->session, &mech, s_->key);
  if (rv != CKR_OK) return core::Status::unavailable("PKCS#11 init: " + rvText(rv));
  CK_ULONG outLen = input.size() + 16;
  std::string out(outLen, '\0');
  auto* ip = reinterpret_cast<CK_BYTE_PTR>(input.data());
  auto* op = reinterpret_cast<CK_BYTE_PTR>(out.data());
  rv = encrypt ? f->C_Encrypt(s_->session, ip, input.size(), op, &outLen)
               : f->C_Decrypt(s_->session, ip, input.size(), op, &outLen);
  OPENSSL_cleanse(input.data(), input.size());
  if (rv != CKR_OK) {
    OPENSSL_cleanse(out.data(), out.size());
    return core::Status::failedPrecondition("the token refused to " +
                                            std::string(encrypt ? "wrap" : "unwrap") +
                                            " a key: " + rvText(rv));
  }
  out.resize(outLen);
  return out;
}

core::Result<std::string> Pkcs11Provider::wrap(std::string_view key, std::string_view context) {
  std::string iv(kIv, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(iv.data()), kIv) != 1) {
    return core::Status::unavailable("no random bytes");
  }
  auto ct = crypt(true, iv, context, key);
  if (!ct.isOk()) return ct.status();
  return iv + ct.value();
}

core::Result<std::string> Pkcs11Provider::unwrap(std::string_view wrapped,
                                                 std::string_view context) {
  if (wrapped.size() < kIv + 16) {
    return core::Status::failedPrecondition("a wrapped key is too short");
  }
  return crypt(false, wrapped.substr(0, kIv), context, wrapped.substr(kIv));
}

}  // namespace rampart::security::encryption
