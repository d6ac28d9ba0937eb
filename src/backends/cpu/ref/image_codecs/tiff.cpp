// TIFF through libtiff, read from memory with a client stream (no file
// descriptor). The first image (directory) is decoded with libtiff's RGBA
// interface, which covers every photometric interpretation, bit depth,
// compression and tiling libtiff knows. libtiff reports errors through
// handlers (no longjmp); they are captured per open handle.
#ifdef KILN_HAVE_TIFF
#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "image_codecs.h"

namespace kiln::cpu::ref::codecs {

namespace {

struct TiffSource {
    const uint8_t* data;
    toff_t size, at;
    std::string error;
};

tmsize_t tiffRead(thandle_t h, void* out, tmsize_t n) {
    auto* s = static_cast<TiffSource*>(h);
    if (n < 0) return -1;
    const toff_t left = s->at < s->size ? s->size - s->at : 0;
    const toff_t k = toff_t(n) < left ? toff_t(n) : left;
    if (k) std::memcpy(out, s->data + s->at, size_t(k));
    s->at += k;
    return tmsize_t(k);
}

tmsize_t tiffWrite(thandle_t, void*, tmsize_t) { return -1; }  // read-only

toff_t tiffSeek(thandle_t h, toff_t off, int whence) {
    auto* s = static_cast<TiffSource*>(h);
    const toff_t base = whence == SEEK_CUR ? s->at : whence == SEEK_END ? s->size : 0;
    // Seeking past the end is allowed (a read there returns 0 bytes); wrap-around is not.
    if (whence != SEEK_SET && off > ~toff_t(0) - base) return toff_t(-1);
    s->at = base + off;
    return s->at;
}

int tiffClose(thandle_t) { return 0; }
toff_t tiffSize(thandle_t h) { return static_cast<TiffSource*>(h)->size; }
// The bytes are already in memory: "mapping" hands libtiff the buffer itself
// (read-only use). libtiff 4.5's unmapped path also misreads some tiles.
int tiffMap(thandle_t h, void** base, toff_t* size) {
    auto* s = static_cast<TiffSource*>(h);
    *base = const_cast<uint8_t*>(s->data);
    *size = s->size;
    return 1;
}
void tiffUnmap(thandle_t, void*, toff_t) {}  // the caller owns the bytes

#if TIFFLIB_VERSION >= 20221213  // libtiff 4.5: per-handle handlers
int tiffError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* s = static_cast<TiffSource*>(user);
    char msg[512];
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    if (s->error.empty()) s->error = std::string(module ? module : "libtiff") + ": " + msg;
    return 1;
}
int tiffWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // silenced
#endif

TIFF* openTiff(TiffSource& src) {
#if TIFFLIB_VERSION >= 20221213
    TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
    if (!opts) return nullptr;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, tiffError, &src);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, tiffWarning, &src);
    TIFF* t = TIFFClientOpenExt("memory", "r", &src, tiffRead, tiffWrite, tiffSeek, tiffClose, tiffSize, tiffMap,
                                tiffUnmap, opts);
    TIFFOpenOptionsFree(opts);
    return t;
#else  // older libtiff: errors go to its global handler (stderr); ours says "decoding failed"
    return TIFFClientOpen("memory", "r", &src, tiffRead, tiffWrite, tiffSeek, tiffClose, tiffSize, tiffMap, tiffUnmap);
#endif
}

}  // namespace

Status decodeTiff(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb) {
    TiffSource src{data, toff_t(size), 0, {}};
    auto fail = [&](const std::string& what) {
        return Status::Error("TIFF: " + (src.error.empty() ? what : src.error));
    };
    TIFF* t = openTiff(src);
    if (!t) return fail("not a readable TIFF file");
    char emsg[1024] = "";
    TIFFRGBAImage img;
    if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&img, t, 0, emsg)) {
        TIFFClose(t);
        return Status::Error(std::string("TIFF: ") + (emsg[0] ? emsg : "unsupported image"));
    }
    if (int64_t(img.width) != W || int64_t(img.height) != H) {
        TIFFRGBAImageEnd(&img);
        TIFFClose(t);
        return Status::Error("TIFF: decoded size differs from the header");
    }
    img.req_orientation = ORIENTATION_TOPLEFT;
    std::vector<uint32_t> raster(size_t(H * W));  // packed ABGR, as libtiff writes it
    const int ok = TIFFRGBAImageGet(&img, raster.data(), uint32_t(W), uint32_t(H));
    TIFFRGBAImageEnd(&img);
    TIFFClose(t);
    // A strip or tile that fails to decode is reported through the handler
    // while TIFFRGBAImageGet may still return 1: both count as failure.
    if (!ok || !src.error.empty()) return fail("pixel data could not be decoded");
    rgb.resize(size_t(H * W * 3));
    for (size_t i = 0; i < raster.size(); ++i) {
        rgb[i * 3] = uint8_t(TIFFGetR(raster[i]));
        rgb[i * 3 + 1] = uint8_t(TIFFGetG(raster[i]));
        rgb[i * 3 + 2] = uint8_t(TIFFGetB(raster[i]));
    }
    return Status::Ok();
}

}  // namespace kiln::cpu::ref::codecs
#endif  // KILN_HAVE_TIFF
