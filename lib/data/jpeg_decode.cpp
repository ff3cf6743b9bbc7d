// JPEG decoding with libjpeg(-turbo). libjpeg's default error handler calls exit(), so a custom
// error manager longjmps back here and the failure becomes an exception.
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
// clang-format off
#include <jpeglib.h>
// clang-format on

#include "data/error.hpp"
#include "data/image_decode.hpp"

namespace signsnet::data_detail {
namespace {

struct JpegError {
  jpeg_error_mgr pub;  // first member: libjpeg only knows the jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg reports a truncated or damaged stream as a warning (level -1) and fills the missing
// rows with gray. A half-gray training image is worse than an error, so warnings abort too.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_jpeg_error(cinfo);
}

// Owns the decompressor so that both a longjmp and a C++ exception release it.
struct Decompressor {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  ~Decompressor() { jpeg_destroy_decompress(&cinfo); }
};

void choose_color_space(const std::string& name, jpeg_decompress_struct* cinfo) {
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo->out_color_space = JCS_GRAYSCALE;
      return;
    case JCS_CMYK:
    case JCS_YCCK:
      fail(name, "color space", "gray, RGB or YCbCr", "CMYK");
    default:
      cinfo->out_color_space = JCS_RGB;
  }
}

// Everything between setjmp and the end runs here. Its locals are trivially destructible and
// not modified after setjmp, so longjmp back into this frame is well defined; `out` lives in
// the caller. Returns false after a libjpeg error (message in d->err.message).
bool run_decompress(Decompressor* d, const std::string& name,
                    const std::vector<std::uint8_t>& bytes, const LoadLimits& limits,
                    RawImage* out) {
  jpeg_decompress_struct* cinfo = &d->cinfo;
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(cinfo, TRUE);
  check_image_limits(name, cinfo->image_width, cinfo->image_height, limits);
  choose_color_space(name, cinfo);
  jpeg_start_decompress(cinfo);
  out->width = static_cast<int>(cinfo->output_width);
  out->height = static_cast<int>(cinfo->output_height);
  out->channels = cinfo->output_components;
  const std::size_t stride = static_cast<std::size_t>(out->width) * out->channels;
  out->pixels.resize(stride * out->height);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out->pixels.data() + stride * cinfo->output_scanline;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

RawImage decode_jpeg(const std::string& name, const std::vector<std::uint8_t>& bytes,
                     const LoadLimits& limits) {
  Decompressor d;
  d.cinfo.err = jpeg_std_error(&d.err.pub);
  d.err.pub.error_exit = on_jpeg_error;
  d.err.pub.emit_message = on_jpeg_message;
  RawImage out;
  if (!run_decompress(&d, name, bytes, limits, &out)) {
    fail(name, "JPEG data", "a complete JPEG stream", d.err.message);
  }
  return out;
}

}  // namespace signsnet::data_detail
