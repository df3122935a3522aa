#include "storage/common/plain_files.h"

#include <filesystem>
#include <fstream>

namespace rampart::storage {

namespace {

class FileSource final : public core::ByteSource {
 public:
  FileSource(std::ifstream in, std::uint64_t size) : in_(std::move(in)), size_(size) {}
  std::uint64_t size() const override { return size_; }
  std::size_t read(char* out, std::size_t n, bool& failed) override {
    const std::uint64_t left = size_ - done_;
    if (left == 0) return 0;
    in_.read(out, static_cast<std::streamsize>(std::min<std::uint64_t>(n, left)));
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (got == 0) {
      failed = true;  // shorter than when it was opened
      return 0;
    }
    done_ += got;
    return got;
  }

 private:
  std::ifstream in_;
  std::uint64_t size_;
  std::uint64_t done_ = 0;
};

}  // namespace

std::shared_ptr<core::ByteSource> openFileSource(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  return std::make_shared<FileSource>(std::move(in), size);
}

Status PlainFiles::keepFile(std::string_view, std::string_view, std::string_view,
                            const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    std::filesystem::remove(from, ec);
    return Status::ioError("the file could not be stored");
  }
  return Status::ok();
}

Result<std::shared_ptr<core::ByteSource>> PlainFiles::readFile(std::string_view, std::string_view,
                                                               std::string_view,
                                                               const std::string& path) {
  auto src = openFileSource(path);
  if (!src) return Status::notFound("no such file");
  return src;
}

Result<bool> PlainFiles::resealFile(std::string_view, std::string_view, std::string_view,
                                    const std::string&) {
  return false;  // nothing sealed without encryption
}

}  // namespace rampart::storage
