#include "security/filescan/qr.h"

#include <png.h>
#include <zbar.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

extern "C" {
#include <jpeglib.h>
}

namespace rampart::security::filescan {
namespace {

constexpr std::size_t kMaxPixels = 40u * 1000u * 1000u;

struct Grey {
  unsigned width = 0;
  unsigned height = 0;
  std::vector<unsigned char> pixels;
};

bool decodePng(const std::string& path, Grey& out) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    return false;
  }
  if (static_cast<std::size_t>(image.width) * image.height > kMaxPixels) {
    png_image_free(&image);
    return false;
  }
  image.format = PNG_FORMAT_GRAY;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    png_image_free(&image);
    return false;
  }
  return true;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

void jpegFail(j_common_ptr info) {
  std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
}

bool decodeJpeg(const std::string& path, Grey& out) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return false;
  }
  jpeg_decompress_struct info;
  JpegError err;
  info.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpegFail;
  err.mgr.output_message = [](j_common_ptr) {};
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file.get());
  jpeg_read_header(&info, TRUE);
  if (static_cast<std::size_t>(info.image_width) * info.image_height > kMaxPixels) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  info.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&info);
  out.width = info.output_width;
  out.height = info.output_height;
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<std::size_t>(info.output_scanline) * out.width;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

}  // namespace

std::vector<std::string> qrTexts(const std::string& path, const std::string& realType) {
  Grey grey;
  const bool decoded = realType == "image/png"    ? decodePng(path, grey)
                       : realType == "image/jpeg" ? decodeJpeg(path, grey)
                                                  : false;
  std::vector<std::string> out;
  if (!decoded || grey.width == 0 || grey.height == 0) {
    return out;
  }
  zbar::zbar_image_scanner_t* scanner = zbar::zbar_image_scanner_create();
  zbar::zbar_image_scanner_set_config(scanner, zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 1);
  zbar::zbar_image_t* image = zbar::zbar_image_create();
  zbar::zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
  zbar::zbar_image_set_size(image, grey.width, grey.height);
  zbar::zbar_image_set_data(image, grey.pixels.data(), grey.pixels.size(), nullptr);
  if (zbar::zbar_scan_image(scanner, image) > 0) {
    for (const zbar::zbar_symbol_t* s = zbar::zbar_image_first_symbol(image); s != nullptr;
         s = zbar::zbar_symbol_next(s)) {
      const char* data = zbar::zbar_symbol_get_data(s);
      if (data != nullptr && out.size() < 16) {
        out.emplace_back(data, zbar::zbar_symbol_get_data_length(s));
      }
    }
  }
  zbar::zbar_image_destroy(image);
  zbar::zbar_image_scanner_destroy(scanner);
  return out;
}

}  // namespace rampart::security::filescan
