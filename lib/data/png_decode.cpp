// PNG decoding with libpng. Errors longjmp back to the setjmp in run_read (libpng's own
// mechanism) through a custom error function that keeps the message instead of printing it.
#include <png.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "data/error.hpp"
#include "data/image_decode.hpp"

namespace signsnet::data_detail {
namespace {

struct PngSource {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t offset = 0;
  char message[256] = {};
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (e.g. a known-incorrect sRGB profile) leave the pixels intact: ignored.
void on_png_warning(png_structp, png_const_charp) {}

void read_from_memory(png_structp png, png_bytep dst, png_size_t count) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (count > src->size - src->offset) png_error(png, "file ends early (truncated)");
  std::memcpy(dst, src->data + src->offset, count);
  src->offset += count;
}

// Owns the read structs so that both a longjmp and a C++ exception release them.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngSource source;
  std::vector<png_bytep> rows;
  ~PngReader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// Every PNG becomes 8-bit gray, gray+alpha, RGB or RGBA.
void set_transforms(png_structp png, png_infop info) {
  const int color = png_get_color_type(png, info);
  if (png_get_bit_depth(png, info) == 16) png_set_scale_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

// Locals here are trivially destructible and unchanged after setjmp; `r` and `out` live in the
// caller, so longjmp back into this frame is well defined. False after a libpng error.
bool run_read(PngReader* r, const std::string& name, const LoadLimits& limits, RawImage* out) {
  png_structp png = r->png;
  png_infop info = r->info;
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, &r->source, read_from_memory);
  png_read_info(png, info);
  check_image_limits(name, png_get_image_width(png, info), png_get_image_height(png, info), limits);
  set_transforms(png, info);
  out->width = static_cast<int>(png_get_image_width(png, info));
  out->height = static_cast<int>(png_get_image_height(png, info));
  out->channels = png_get_channels(png, info);
  const std::size_t stride = png_get_rowbytes(png, info);
  out->pixels.resize(stride * out->height);
  r->rows.resize(out->height);
  for (int y = 0; y < out->height; ++y) r->rows[y] = out->pixels.data() + stride * y;
  png_read_image(png, r->rows.data());
  png_read_end(png, nullptr);
  return true;
}

}  // namespace

RawImage decode_png(const std::string& name, const std::vector<std::uint8_t>& bytes,
                    const LoadLimits& limits) {
  PngReader r;
  r.source.data = bytes.data();
  r.source.size = bytes.size();
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r.source, on_png_error, on_png_warning);
  if (r.png) r.info = png_create_info_struct(r.png);
  if (!r.png || !r.info) fail(name, "PNG reader", "created", "out of memory");
  RawImage out;
  if (!run_read(&r, name, limits, &out)) {
    fail(name, "PNG data", "a complete PNG stream", r.source.message);
  }
  return out;
}

}  // namespace signsnet::data_detail
