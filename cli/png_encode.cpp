// PNG writing with libpng. As in lib/data/png_decode.cpp, libpng errors longjmp back to the setjmp
// in run_write through an error function that keeps the message.
#include "png_encode.hpp"

#include <png.h>

#include <cstdio>
#include <stdexcept>

namespace signsnet::cli {
namespace {

struct PngSink {
  std::vector<std::uint8_t> bytes;
  char message[256] = {};
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void write_to_memory(png_structp png, png_bytep data, png_size_t count) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  sink->bytes.insert(sink->bytes.end(), data, data + count);
}

void flush_memory(png_structp) {}

// Owns the write structs so that both a longjmp and a C++ exception release them.
struct PngWriter {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngSink sink;
  std::vector<png_bytep> rows;
  ~PngWriter() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

int color_type(int channels) {
  switch (channels) {
    case 1:
      return PNG_COLOR_TYPE_GRAY;
    case 2:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
      return PNG_COLOR_TYPE_RGB;
    default:
      return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

// Locals are unchanged after setjmp and `w` lives in the caller (see png_decode.cpp). False after
// a libpng error.
bool run_write(PngWriter* w, int width, int height, int channels) {
  png_structp png = w->png;
  png_infop info = w->info;
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, &w->sink, write_to_memory, flush_memory);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               color_type(channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, w->rows.data());
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const std::uint8_t* pixels, int width, int height,
                                     int channels) {
  if (!pixels || width <= 0 || height <= 0 || channels < 1 || channels > 4)
    throw std::invalid_argument(
        "encode_png: size: expected pixels, width and height > 0 and 1..4 "
        "channels, got " +
        std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels));
  PngWriter w;
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w.sink, on_png_error, on_png_warning);
  if (w.png) w.info = png_create_info_struct(w.png);
  if (!w.png || !w.info) throw std::runtime_error("encode_png: libpng: expected memory, got none");
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  for (int y = 0; y < height; ++y) w.rows.push_back(const_cast<png_bytep>(pixels + stride * y));
  if (!run_write(&w, width, height, channels))
    throw std::runtime_error(std::string("encode_png: libpng: expected a written image, got ") +
                             w.sink.message);
  return std::move(w.sink.bytes);
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (left > 1) v |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (left > 2) v |= bytes[i + 2];
    out += kDigits[(v >> 18) & 63];
    out += kDigits[(v >> 12) & 63];
    out += left > 1 ? kDigits[(v >> 6) & 63] : '=';
    out += left > 2 ? kDigits[v & 63] : '=';
  }
  return out;
}

std::string png_data_uri(const std::uint8_t* pixels, int width, int height, int channels) {
  return "data:image/png;base64," + base64(encode_png(pixels, width, height, channels));
}

}  // namespace signsnet::cli
