/*
 * Bytes charged for CUDA arrays. The driver does not say what an array really occupies
 * before creating it, so we charge an estimate from the descriptor:
 *   width * max(height,1) * max(depth,1) * channels * bytes per channel
 * summed over mip levels for mipmapped arrays (each level halves width/height, and depth
 * unless the array is layered or a cubemap, whose depth counts layers/faces). The driver's
 * alignment padding is not included, so the estimate can be below the real footprint by
 * that padding. Unknown formats are charged 4 bytes per channel (the widest classic format).
 * Sparse and deferred-mapping arrays get no backing store at creation and are charged 0;
 * memory later mapped into them comes from cuMemCreate, which is charged there.
 * UINT64_MAX means "does not fit in 64 bits" (the caller refuses it as out of memory).
 */
#ifndef TESSERA_ARRAY_SIZE_H
#define TESSERA_ARRAY_SIZE_H

#include <stdint.h>

#include "cuda_api.h"

uint64_t tessera_array_bytes(const CUDA_ARRAY_DESCRIPTOR *desc);
uint64_t tessera_array3d_bytes(const CUDA_ARRAY3D_DESCRIPTOR *desc);
uint64_t tessera_mipmap_bytes(const CUDA_ARRAY3D_DESCRIPTOR *desc, unsigned int levels);

/* a * b, or UINT64_MAX on overflow. */
uint64_t tessera_mul_sat(uint64_t a, uint64_t b);

#endif
