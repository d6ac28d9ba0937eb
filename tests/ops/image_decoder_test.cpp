// ImageDecoder's library-backed formats (TIFF, WebP, JPEG 2000): images are
// encoded here from known pixels (lossless), decoded by the op and compared
// pixel-exact with the source; truncated files must fail with an error.
// pixel_format is checked against a plain per-pixel conversion written here.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ir/ops/image_decoder.h"
#include "ops/op_test_util.h"

#ifdef KILN_HAVE_TIFF
#include <tiffio.h>
#endif
#ifdef KILN_HAVE_WEBP
#include <webp/encode.h>
#endif
#ifdef KILN_HAVE_OPENJPEG
#include <openjpeg.h>
#endif

namespace kiln::test {
namespace {

using Bytes = std::vector<uint8_t>;

// An odd-sized image whose channels all differ and cover a wide range.
constexpr int kW = 7, kH = 5;
[[maybe_unused]] Bytes sourceRgb() {
    Bytes p(size_t(kW * kH * 3));
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            uint8_t* px = p.data() + (y * kW + x) * 3;
            px[0] = uint8_t(x * 37 + y * 11);
            px[1] = uint8_t(x * 5 + y * 71 + 13);
            px[2] = uint8_t(x * y * 29 + 200);
        }
    return p;
}

[[maybe_unused]] Bytes sourceGray() {
    Bytes p(size_t(kW * kH));
    for (int i = 0; i < kW * kH; ++i) p[size_t(i)] = uint8_t(i * 53 + 7);
    return p;
}

// What the op must produce from RGB pixels for `fmt`.
Bytes expected(const Bytes& rgb, const std::string& fmt) {
    Bytes out;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
        const uint32_t r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
        if (fmt == "Grayscale")
            out.push_back(uint8_t((r * 19595 + g * 38470 + b * 7471 + 32768) >> 16));
        else if (fmt == "BGR")
            out.insert(out.end(), {uint8_t(b), uint8_t(g), uint8_t(r)});
        else
            out.insert(out.end(), {uint8_t(r), uint8_t(g), uint8_t(b)});
    }
    return out;
}

[[maybe_unused]] Bytes grayToRgb(const Bytes& g) {
    Bytes out;
    for (uint8_t v : g) out.insert(out.end(), {v, v, v});
    return out;
}

OpResult decode(const Bytes& file, const std::string& fmt = "RGB") {
    TestTensor t;
    t.dtype = ir::DType::kU8;
    t.shape = {int64_t(file.size())};
    t.bytes = file;
    ir::Attrs a;
    a.set("pixel_format", fmt);
    return runOp("ImageDecoder", a, {t});
}

// (Helpers are unused when no codec library is built.)
// Decodes `file` with every pixel_format and compares with `rgb`.
[[maybe_unused]] void expectDecodes(const Bytes& file, const Bytes& rgb) {
    for (const std::string fmt : {"RGB", "BGR", "Grayscale"}) {
        SCOPED_TRACE(fmt);
        auto r = decode(file, fmt);
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        ASSERT_EQ(r.outputs[0].shape, (ir::Shape{kH, kW, fmt == "Grayscale" ? 1 : 3}));
        EXPECT_EQ(r.outputs[0].bytes, expected(rgb, fmt));
    }
}

void expectFails(const Bytes& file, const std::string& mention) {
    auto r = decode(file);
    ASSERT_FALSE(r.status.ok()) << "a corrupt " << mention << " file decoded";
    EXPECT_NE(r.status.message().find(mention), std::string::npos) << r.status.message();
}

[[maybe_unused]] Bytes truncated(const Bytes& b, size_t keep) { return Bytes(b.begin(), b.begin() + ptrdiff_t(keep)); }

// A scratch file for the encoders that write only to files; removed on scope exit.
struct TempFile {
    std::filesystem::path path;
    explicit TempFile(const std::string& name)
        : path(std::filesystem::temp_directory_path() /
               ("kiln_imgdec_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" + name)) {}
    ~TempFile() { std::filesystem::remove(path); }
    Bytes read() const {
        std::ifstream f(path, std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(f), {});
    }
};

TEST(ImageDecoderOp, UnknownFormatNamesTheSupportedOnes) {
    auto r = decode({'G', 'I', 'F', '8', '9', 'a', 0, 0, 0, 0});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("TIFF, WebP and JPEG 2000"), std::string::npos) << r.status.message();
}

// ---- TIFF ----

#ifdef KILN_HAVE_TIFF
// Writes an 8-bit image with libtiff; `mode` "wl" / "wb" picks the byte order.
Bytes writeTiff(const Bytes& px, int channels, const char* mode, uint16_t compression, bool tiled) {
    TempFile tmp(std::string("t") + mode + std::to_string(compression) + (tiled ? "t" : "s") + ".tif");
    TIFF* t = TIFFOpen(tmp.path.c_str(), mode);
    if (!t) return {};
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(kW));
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(kH));
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, uint16_t(8));
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, uint16_t(channels));
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, uint16_t(channels == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK));
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, uint16_t(PLANARCONFIG_CONTIG));
    TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
    bool ok = true;
    if (tiled) {  // one 16 x 16 tile, larger than the image
        TIFFSetField(t, TIFFTAG_TILEWIDTH, uint32_t(16));
        TIFFSetField(t, TIFFTAG_TILELENGTH, uint32_t(16));
        Bytes tile(size_t(16 * 16 * channels), 0);
        for (int y = 0; y < kH; ++y)
            std::memcpy(tile.data() + y * 16 * channels, px.data() + y * kW * channels, size_t(kW * channels));
        ok = TIFFWriteTile(t, tile.data(), 0, 0, 0, 0) >= 0;
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, uint32_t(2));  // three strips
        Bytes row(size_t(kW * channels));
        for (int y = 0; y < kH && ok; ++y) {
            std::memcpy(row.data(), px.data() + y * kW * channels, row.size());
            ok = TIFFWriteScanline(t, row.data(), uint32_t(y), 0) == 1;
        }
    }
    TIFFClose(t);
    return ok ? tmp.read() : Bytes{};
}

TEST(ImageDecoderOp, TiffRgbLzwStripsLittleEndian) {
    const Bytes file = writeTiff(sourceRgb(), 3, "wl", COMPRESSION_LZW, false);
    ASSERT_FALSE(file.empty());
    ASSERT_EQ(file[0], 'I');
    expectDecodes(file, sourceRgb());
}

TEST(ImageDecoderOp, TiffRgbTiledBigEndian) {
    const Bytes file = writeTiff(sourceRgb(), 3, "wb", COMPRESSION_NONE, true);
    ASSERT_FALSE(file.empty());
    ASSERT_EQ(file[0], 'M');
    expectDecodes(file, sourceRgb());
}

TEST(ImageDecoderOp, TiffGrayIsReplicated) {
    const Bytes file = writeTiff(sourceGray(), 1, "wl", COMPRESSION_ADOBE_DEFLATE, false);
    ASSERT_FALSE(file.empty());
    expectDecodes(file, grayToRgb(sourceGray()));
}

// An uncompressed RGB TIFF laid out by hand with its directory before the
// pixels, so that cutting the pixels leaves a readable header.
Bytes handTiff(const Bytes& rgb) {
    Bytes f = {'I', 'I', 42, 0, 8, 0, 0, 0};
    auto u16 = [&](uint32_t v) { f.insert(f.end(), {uint8_t(v), uint8_t(v >> 8)}); };
    auto u32 = [&](uint32_t v) { u16(v & 0xFFFF), u16(v >> 16); };
    const uint32_t entries = 10, bpsAt = 8 + 2 + entries * 12 + 4, dataAt = bpsAt + 6;
    u16(entries);
    auto entry = [&](uint16_t tag, uint16_t type, uint32_t count, uint32_t value) {
        u16(tag), u16(type), u32(count), u32(value);  // SHORT values sit in the low bytes (little-endian)
    };
    entry(256, 3, 1, kW);
    entry(257, 3, 1, kH);
    entry(258, 3, 3, bpsAt);
    entry(259, 3, 1, 1);  // no compression
    entry(262, 3, 1, 2);  // RGB
    entry(273, 4, 1, dataAt);
    entry(277, 3, 1, 3);
    entry(278, 3, 1, kH);
    entry(279, 4, 1, uint32_t(rgb.size()));
    entry(284, 3, 1, 1);  // contiguous
    u32(0);               // no next directory
    u16(8), u16(8), u16(8);
    f.insert(f.end(), rgb.begin(), rgb.end());
    return f;
}

TEST(ImageDecoderOp, TiffHandWrittenDecodes) { expectDecodes(handTiff(sourceRgb()), sourceRgb()); }

TEST(ImageDecoderOp, TiffTruncatedFails) {
    const Bytes hand = handTiff(sourceRgb());
    expectFails(truncated(hand, hand.size() - sourceRgb().size() / 2), "TIFF:");  // pixels cut
    const Bytes lzw = writeTiff(sourceRgb(), 3, "wl", COMPRESSION_LZW, false);
    ASSERT_FALSE(lzw.empty());
    expectFails(truncated(lzw, lzw.size() / 2), "TIFF:");  // libtiff writes the directory last: it is cut
    expectFails(truncated(lzw, 12), "TIFF:");
}
#else
TEST(ImageDecoderOp, TiffNotBuilt) {
    const Bytes file = {'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0, 0, 1, 3, 0, 1, 0, 0, 0, 4,
                        0,   0,   0,  1, 1, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0};
    expectFails(file, "libtiff missing");
    GTEST_SKIP() << "TIFF decoding not built (libtiff missing)";
}
#endif

// ---- WebP ----

#ifdef KILN_HAVE_WEBP
Bytes encodeWebp(const Bytes& px, bool alpha) {
    uint8_t* out = nullptr;
    const size_t n = alpha ? WebPEncodeLosslessRGBA(px.data(), kW, kH, kW * 4, &out)
                           : WebPEncodeLosslessRGB(px.data(), kW, kH, kW * 3, &out);
    Bytes b(out, out + n);
    WebPFree(out);
    return b;
}

TEST(ImageDecoderOp, WebpLosslessRgb) {
    const Bytes file = encodeWebp(sourceRgb(), false);
    ASSERT_FALSE(file.empty());
    expectDecodes(file, sourceRgb());
}

TEST(ImageDecoderOp, WebpAlphaIsDroppedNotPremultiplied) {
    // Alpha 1..255 (a fully transparent pixel's colour may be discarded by the encoder).
    const Bytes rgb = sourceRgb();
    Bytes rgba;
    for (size_t i = 0; i < rgb.size() / 3; ++i)
        rgba.insert(rgba.end(), {rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], uint8_t(1 + i * 7 % 255)});
    const Bytes file = encodeWebp(rgba, true);
    ASSERT_FALSE(file.empty());
    expectDecodes(file, rgb);
}

TEST(ImageDecoderOp, WebpTruncatedFails) {
    const Bytes file = encodeWebp(sourceRgb(), false);
    ASSERT_GT(file.size(), 30u);
    expectFails(truncated(file, file.size() / 2), "WebP:");
    expectFails(truncated(file, 26), "WebP:");
    Bytes garbage = file;  // intact header, scrambled bitstream
    for (size_t i = 25; i < garbage.size(); ++i) garbage[i] = uint8_t(i * 131);
    expectFails(garbage, "WebP:");
}
#else
TEST(ImageDecoderOp, WebpNotBuilt) {
    const Bytes file = {'R', 'I', 'F', 'F', 30, 0, 0, 0,    'W', 'E', 'B', 'P', 'V',
                        'P', '8', 'L', 5,   0,  0, 0, 0x2F, 0,   0,   0,   0,   0};
    expectFails(file, "libwebp missing");
    GTEST_SKIP() << "WebP decoding not built (libwebp missing)";
}
#endif

// ---- JPEG 2000 ----

#ifdef KILN_HAVE_OPENJPEG
// Lossless (reversible 5/3 wavelet, one layer, no rate) JP2 or J2K codestream.
Bytes encodeJpeg2000(const Bytes& px, int channels, bool jp2) {
    TempFile tmp(std::string("j") + std::to_string(channels) + (jp2 ? ".jp2" : ".j2k"));
    opj_cparameters_t p;
    opj_set_default_encoder_parameters(&p);
    p.tcp_numlayers = 1;
    p.tcp_rates[0] = 0;
    p.cp_disto_alloc = 1;
    p.numresolution = 2;  // the default (6) needs images of at least 32 pixels a side
    p.tcp_mct = channels == 3 ? 1 : 0;
    std::vector<opj_image_cmptparm_t> cp(static_cast<size_t>(channels));
    for (auto& c : cp) {
        std::memset(&c, 0, sizeof c);
        c.dx = c.dy = 1;
        c.w = kW;
        c.h = kH;
        c.prec = 8;
    }
    opj_image_t* im =
        opj_image_create(OPJ_UINT32(channels), cp.data(), channels == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY);
    if (!im) return {};
    im->x1 = kW;
    im->y1 = kH;
    for (int k = 0; k < channels; ++k)
        for (int i = 0; i < kW * kH; ++i) im->comps[k].data[i] = px[size_t(i * channels + k)];
    opj_codec_t* codec = opj_create_compress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_stream_t* s = opj_stream_create_default_file_stream(tmp.path.c_str(), OPJ_FALSE);
    const bool ok = codec && s && opj_setup_encoder(codec, &p, im) && opj_start_compress(codec, im, s) &&
                    opj_encode(codec, s) && opj_end_compress(codec, s);
    if (s) opj_stream_destroy(s);  // flushes and closes the file
    if (codec) opj_destroy_codec(codec);
    opj_image_destroy(im);
    return ok ? tmp.read() : Bytes{};
}

TEST(ImageDecoderOp, Jpeg2000LosslessJp2Rgb) {
    const Bytes file = encodeJpeg2000(sourceRgb(), 3, true);
    ASSERT_FALSE(file.empty());
    ASSERT_EQ(file[4], 'j');  // JP2 signature box
    expectDecodes(file, sourceRgb());
}

TEST(ImageDecoderOp, Jpeg2000CodestreamGrayIsReplicated) {
    const Bytes file = encodeJpeg2000(sourceGray(), 1, false);
    ASSERT_FALSE(file.empty());
    ASSERT_EQ(file[1], 0x4F);  // SOC marker
    expectDecodes(file, grayToRgb(sourceGray()));
}

TEST(ImageDecoderOp, Jpeg2000TruncatedFails) {
    for (bool jp2 : {true, false}) {
        SCOPED_TRACE(jp2 ? "JP2" : "J2K");
        const Bytes file = encodeJpeg2000(sourceRgb(), 3, jp2);
        ASSERT_FALSE(file.empty());
        expectFails(truncated(file, file.size() / 2), "JPEG 2000:");
        expectFails(truncated(file, jp2 ? 60 : 30), "JPEG 2000:");
    }
}
#else
TEST(ImageDecoderOp, Jpeg2000NotBuilt) {
    const Bytes file = {0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0, 0, 0, 0, 7, 0, 0,
                        0,    5,    0,    0,    0, 0,  0, 0, 0, 0, 0, 0, 0, 0};
    expectFails(file, "libopenjp2");
    GTEST_SKIP() << "JPEG 2000 decoding not built (OpenJPEG, libopenjp2, missing)";
}
#endif

// Robustness: randomly damaged files (bytes changed, tails cut) decode or
// fail with an error, never crash (run under valgrind for the error paths).
// Files whose damaged header claims a large image are left out, so the test
// does not allocate gigabytes of output.
TEST(ImageDecoderOp, DamagedFilesDecodeOrFailCleanly) {
    std::vector<std::pair<std::string, Bytes>> files;
#ifdef KILN_HAVE_TIFF
    files.emplace_back("TIFF", writeTiff(sourceRgb(), 3, "wl", COMPRESSION_LZW, false));
    files.emplace_back("TIFF", handTiff(sourceRgb()));
#endif
#ifdef KILN_HAVE_WEBP
    files.emplace_back("WebP", encodeWebp(sourceRgb(), false));
#endif
#ifdef KILN_HAVE_OPENJPEG
    files.emplace_back("JPEG 2000", encodeJpeg2000(sourceRgb(), 3, true));
    files.emplace_back("JPEG 2000", encodeJpeg2000(sourceRgb(), 3, false));
#endif
    if (files.empty()) GTEST_SKIP() << "no TIFF, WebP or JPEG 2000 library built";
    std::mt19937 rng(1234 + testSeedSalt());
    int decoded = 0, failed = 0;
    for (const auto& [name, file] : files) {
        ASSERT_FALSE(file.empty()) << name;
        for (int iter = 0; iter < 150; ++iter) {
            Bytes bad = file;
            const int edits = 1 + int(rng() % 4);
            for (int e = 0; e < edits; ++e) bad[rng() % bad.size()] = uint8_t(rng());
            if (iter % 3 == 0) bad.resize(1 + rng() % bad.size());
            ir::ImageInfo info;
            if (!ir::probeImage(bad.data(), bad.size(), info).ok() || info.width * info.height > 64 * 64) continue;
            auto r = decode(bad);
            if (r.status.ok()) {
                ++decoded;
                EXPECT_EQ(r.outputs[0].shape, (ir::Shape{info.height, info.width, 3})) << name;
            } else {
                ++failed;
            }
        }
    }
    EXPECT_GT(failed, 0);  // the damage did reach the decoders
    std::printf("damaged files: %d decoded, %d refused\n", decoded, failed);
}

}  // namespace
}  // namespace kiln::test
