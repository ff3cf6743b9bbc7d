// Random augmentation of one image. The draws are a pure function of a 64-bit key, so an image
// is augmented the same way whichever thread handles it.
#pragma once

#include <cstdint>
#include <vector>

#include "signsnet/data.hpp"

namespace signsnet::data_detail {

/// The random choices for one image.
struct AugmentDraw {
  int shift_x = 0;
  int shift_y = 0;
  bool flip = false;
  float angle = 0;       ///< radians
  float brightness = 0;  ///< added, in [0, 1] units
  float contrast = 1;    ///< factor around the image mean
  float zoom = 1;        ///< magnification about the centre (above 1: the content grows)
  Augmentation::Fill fill = Augmentation::Fill::zero;  ///< copied from the config, not drawn
};

/// Draws every parameter from the stream `key`, always in the same order and number, so enabling
/// one transform does not change the draws of another.
AugmentDraw draw_augmentation(const Augmentation& aug, std::uint64_t key);

/// `src` uint8 HWC -> `dst` float HWC in [0, 1]: contrast and brightness (clamped to [0, 1]),
/// then flip, zoom and rotation about the centre, and shift, sampled bilinearly; outside the image
/// the draw's fill mode decides (zeros, the nearest border pixel or the mirrored image).
/// `scratch` is reused between calls.
void augment_image(const std::uint8_t* src, int height, int width, int channels,
                   const AugmentDraw& draw, float* dst, std::vector<float>& scratch);

}  // namespace signsnet::data_detail
