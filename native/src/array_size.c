#include "array_size.h"

/* CUarray_format values (cuda.h). */
enum {
    FMT_U8 = 0x01, FMT_U16 = 0x02, FMT_U32 = 0x03,
    FMT_S8 = 0x08, FMT_S16 = 0x09, FMT_S32 = 0x0a,
    FMT_HALF = 0x10, FMT_FLOAT = 0x20,
};

/* CUDA_ARRAY3D_* flags (cuda.h). */
#define ARRAY3D_LAYERED 0x01u
#define ARRAY3D_CUBEMAP 0x04u
#define ARRAY3D_SPARSE 0x40u
#define ARRAY3D_DEFERRED_MAPPING 0x80u

uint64_t tessera_mul_sat(uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t bytes_per_channel(int format) {
    switch (format) {
    case FMT_U8: case FMT_S8: return 1;
    case FMT_U16: case FMT_S16: case FMT_HALF: return 2;
    case FMT_U32: case FMT_S32: case FMT_FLOAT: return 4;
    default: return 4;
    }
}

static uint64_t at_least_one(uint64_t v) { return v ? v : 1; }

static uint64_t volume(uint64_t w, uint64_t h, uint64_t d, int format, unsigned channels) {
    uint64_t elem = tessera_mul_sat(bytes_per_channel(format), at_least_one(channels));
    uint64_t n = tessera_mul_sat(tessera_mul_sat(w, at_least_one(h)), at_least_one(d));
    return tessera_mul_sat(n, elem);
}

uint64_t tessera_array_bytes(const CUDA_ARRAY_DESCRIPTOR *desc) {
    return volume(desc->Width, desc->Height, 1, desc->Format, desc->NumChannels);
}

uint64_t tessera_array3d_bytes(const CUDA_ARRAY3D_DESCRIPTOR *desc) {
    if (desc->Flags & (ARRAY3D_SPARSE | ARRAY3D_DEFERRED_MAPPING)) return 0;
    return volume(desc->Width, desc->Height, desc->Depth, desc->Format, desc->NumChannels);
}

static uint64_t shrink(uint64_t v, unsigned level) { return level >= 64 ? 1 : at_least_one(v >> level); }

uint64_t tessera_mipmap_bytes(const CUDA_ARRAY3D_DESCRIPTOR *desc, unsigned int levels) {
    if (desc->Flags & (ARRAY3D_SPARSE | ARRAY3D_DEFERRED_MAPPING)) return 0;
    int depth_is_count = (desc->Flags & (ARRAY3D_LAYERED | ARRAY3D_CUBEMAP)) != 0;
    uint64_t total = 0;
    for (unsigned l = 0; l < (levels ? levels : 1) && l < 64; l++) {
        uint64_t h = desc->Height ? shrink(desc->Height, l) : 0;
        uint64_t d = desc->Depth ? (depth_is_count ? desc->Depth : shrink(desc->Depth, l)) : 0;
        total = add_sat(total, volume(shrink(desc->Width, l), h, d, desc->Format, desc->NumChannels));
    }
    return total;
}
