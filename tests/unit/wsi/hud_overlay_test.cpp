// The HUD: glyphs land where the font says, only the box is touched, and tiny images are clipped safely.
#include "client/wsi/hud_overlay.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "client/wsi/hud_font.h"

namespace anarchy::client::wsi::test {
namespace {

constexpr uint8_t kGrey = 200;

std::vector<uint8_t> grey_image(uint32_t w, uint32_t h, uint32_t stride) {
    std::vector<uint8_t> img(size_t{stride} * h, kGrey);
    return img;
}

bool is_white(const std::vector<uint8_t>& img, uint32_t stride, uint32_t x, uint32_t y) {
    const uint8_t* p = &img[size_t{y} * stride + x * 4];
    return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

TEST(HudFont, EveryPrintableCharacterHasAGlyphAndNoneAreBlankButSpace) {
    for (int c = 32; c < 127; ++c) {
        const uint8_t* rows = hud_glyph(static_cast<char>(c));
        ASSERT_NE(rows, nullptr);
        int dots = 0;
        for (uint32_t y = 0; y < kGlyphHeight; ++y) {
            EXPECT_EQ(rows[y] & ~0x1fu, 0u) << "glyph " << c << " wider than 5";
            dots += __builtin_popcount(rows[y]);
        }
        if (c == ' ')
            EXPECT_EQ(dots, 0);
        else
            EXPECT_GT(dots, 0) << "glyph '" << char(c) << "' is blank";
    }
    // Outside printable ASCII: '?'.
    EXPECT_EQ(hud_glyph('\x01'), hud_glyph('?'));
    EXPECT_EQ(hud_glyph(static_cast<char>(0xE9)), hud_glyph('?'));
}

TEST(HudFont, GlyphsAreDistinct) {
    for (int a = 33; a < 127; ++a)
        for (int b = a + 1; b < 127; ++b)
            EXPECT_NE(std::memcmp(hud_glyph(char(a)), hud_glyph(char(b)), kGlyphHeight), 0)
                << "'" << char(a) << "' and '" << char(b) << "' look the same";
}

TEST(HudOverlay, ZeroDrawnWhereTheFontSays) {
    HudOverlay hud;
    hud.set_text("0");
    const uint32_t w = 64, h = 32, stride = w * 4;
    auto img = grey_image(w, h, stride);
    HudRect r = hud.draw(img.data(), w, h, stride);
    // Padding 3, one 5x7 glyph: box 11 x 13.
    EXPECT_EQ(r.x, 0u);
    EXPECT_EQ(r.y, 0u);
    EXPECT_EQ(r.width, 11u);
    EXPECT_EQ(r.height, 13u);
    // "0" is .###. / #...# / #..## / #.#.# / ##..# / #...# / .###.
    const char* art[7] = {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."};
    for (uint32_t gy = 0; gy < 7; ++gy)
        for (uint32_t gx = 0; gx < 5; ++gx)
            EXPECT_EQ(is_white(img, stride, 3 + gx, 3 + gy), art[gy][gx] == '#') << "dot " << gx << "," << gy;
    // The box is darkened: 200 * (256 - 160) / 256 = 75.
    const uint8_t* corner = &img[0];
    EXPECT_EQ(corner[0], 75);
    EXPECT_EQ(corner[3], 255);
}

TEST(HudOverlay, OnlyTheBoxIsTouched) {
    HudOverlay hud;
    hud.set_text("62.1 fps\nrender 1.2 ms  encode 3.4 ms  decode 2.1 ms");
    const uint32_t w = 400, h = 100, stride = w * 4 + 16;
    auto img = grey_image(w, h, stride);
    HudRect r = hud.draw(img.data(), w, h, stride);
    ASSERT_FALSE(r.empty());
    // Two lines, the longest 43 characters: 3+43*6-1+3 = 263 wide, 3+9+7+3 = 22 high.
    EXPECT_EQ(r.width, 263u);
    EXPECT_EQ(r.height, 22u);
    for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < stride; ++x) {
            const bool inside = y < r.height && x < r.width * 4;
            if (!inside) {
                ASSERT_EQ(img[size_t{y} * stride + x], kGrey) << "byte " << x << " of row " << y;
            }
        }
}

TEST(HudOverlay, DifferentTextsDifferentPixels) {
    const uint32_t w = 200, h = 40, stride = w * 4;
    auto a = grey_image(w, h, stride), b = grey_image(w, h, stride), c = grey_image(w, h, stride);
    HudOverlay hud;
    hud.set_text("61.0 fps");
    hud.draw(a.data(), w, h, stride);
    hud.set_text("62.0 fps");
    hud.draw(b.data(), w, h, stride);
    hud.set_text("61.0 fps");
    hud.draw(c.data(), w, h, stride);
    EXPECT_NE(a, b);
    EXPECT_EQ(a, c);
}

TEST(HudOverlay, ScaleTwoDoublesEverything) {
    HudOverlay one, two(HudStyle{2, 160});
    one.set_text("Ab\n1");
    two.set_text("Ab\n1");
    EXPECT_EQ(two.box().width, 2 * one.box().width);
    EXPECT_EQ(two.box().height, 2 * one.box().height);
    const uint32_t w = 100, h = 60, stride = w * 4;
    auto i1 = grey_image(w, h, stride), i2 = grey_image(w, h, stride);
    one.draw(i1.data(), w, h, stride);
    two.draw(i2.data(), w, h, stride);
    for (uint32_t y = 0; y < one.box().height; ++y)
        for (uint32_t x = 0; x < one.box().width; ++x)
            for (uint32_t dy = 0; dy < 2; ++dy)
                for (uint32_t dx = 0; dx < 2; ++dx)
                    ASSERT_EQ(is_white(i1, stride, x, y), is_white(i2, stride, 2 * x + dx, 2 * y + dy));
}

TEST(HudOverlay, TinyImagesAreClipped) {
    HudOverlay hud(HudStyle{2, 200});
    hud.set_text("a long line of text that is much wider than the image\nand a second one\nand a third");
    for (uint32_t size : {1u, 2u, 5u, 10u}) {
        const uint32_t stride = size * 4;
        // Guard bytes after the image catch writes past its end.
        std::vector<uint8_t> img(size_t{stride} * size + 64, kGrey);
        HudRect r = hud.draw(img.data(), size, size, stride);
        EXPECT_EQ(r.width, size);
        EXPECT_EQ(r.height, size);
        for (size_t i = size_t{stride} * size; i < img.size(); ++i) ASSERT_EQ(img[i], kGrey);
    }
    EXPECT_TRUE(hud.draw(nullptr, 10, 10, 40).empty());
    std::vector<uint8_t> img(40 * 10, kGrey);
    EXPECT_TRUE(hud.draw(img.data(), 0, 10, 40).empty());
    EXPECT_TRUE(hud.draw(img.data(), 10, 10, 8).empty());  // stride smaller than a row: refused
}

TEST(HudOverlay, EmptyAndOversizedText) {
    HudOverlay hud;
    hud.set_text("");
    EXPECT_TRUE(hud.box().empty());
    std::vector<uint8_t> img(40 * 10, kGrey);
    EXPECT_TRUE(hud.draw(img.data(), 10, 10, 40).empty());
    for (uint8_t v : img) ASSERT_EQ(v, kGrey);

    hud.set_text("one line\n");
    EXPECT_EQ(hud.box().height, 13u);  // a trailing newline adds no line

    std::string huge(5000, 'x');
    for (size_t i = 50; i < huge.size(); i += 51) huge[i] = '\n';
    hud.set_text(huge);  // cut to kMaxChars / kMaxLines, no overflow
    EXPECT_LE(hud.box().height, 3 * 2 + HudOverlay::kMaxLines * 9);
}

}  // namespace
}  // namespace anarchy::client::wsi::test
