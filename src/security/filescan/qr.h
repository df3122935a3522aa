#pragma once
// The text of QR codes (and other barcodes zbar reads) in an uploaded PNG or JPEG image: the
// image is decoded to grey levels (libpng, libjpeg) and scanned with libzbar. Images larger
// than 40 megapixels are not decoded. Blocking: scanner threads only. Thread-safe.

#include <string>
#include <vector>

namespace rampart::security::filescan {

// `realType` as libmagic found it ("image/png", "image/jpeg"); other types give nothing.
std::vector<std::string> qrTexts(const std::string& path, const std::string& realType);

}  // namespace rampart::security::filescan
