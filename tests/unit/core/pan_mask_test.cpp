#include "sim/core/pan_mask.hpp"

#include <string>

#include <gtest/gtest.h>

namespace sim::core {
namespace {

TEST(Luhn, AcceptsPublishedVectors) {
    EXPECT_TRUE(LuhnValid("79927398713"));
    EXPECT_TRUE(LuhnValid("4111111111111111"));
    EXPECT_TRUE(LuhnValid("3566002020360505"));
    EXPECT_TRUE(LuhnValid("5555555555554444"));
}

TEST(Luhn, RejectsWrongCheckDigitEmptyAndNonDigits) {
    EXPECT_FALSE(LuhnValid("4242424242424241"));
    EXPECT_FALSE(LuhnValid(""));
    EXPECT_FALSE(LuhnValid("4111 1111 1111 1111"));
    EXPECT_FALSE(LuhnValid("411111111111111a"));
}

// --- must mask -------------------------------------------------------------------------------

TEST(MaskPans, MasksVisaMastercardJcbAndAmexTestNumbers) {
    EXPECT_EQ(MaskPans("4111111111111111"), "411111******1111");
    EXPECT_EQ(MaskPans("pan=4012888888881881"), "pan=401288******1881");
    EXPECT_EQ(MaskPans("mc 5555555555554444 ok"), "mc 555555******4444 ok");
    EXPECT_EQ(MaskPans("mc 5105105105105100"), "mc 510510******5100");
    EXPECT_EQ(MaskPans("jcb:3530111333300000"), "jcb:353011******0000");
    EXPECT_EQ(MaskPans("jcb:3566002020360505"), "jcb:356600******0505");
    EXPECT_EQ(MaskPans("amex 378282246310005"), "amex 378282*****0005");
    EXPECT_EQ(MaskPans("amex 371449635398431."), "amex 371449*****8431.");
}

TEST(MaskPans, MasksThirteenAndNineteenDigitNumbers) {
    EXPECT_EQ(MaskPans("old visa 4222222222222"), "old visa 422222***2222");
    EXPECT_EQ(MaskPans("long 4111111111111111110"), "long 411111*********1110");
}

TEST(MaskPans, MasksGroupsSeparatedBySpacesOrDashesKeepingSeparators) {
    EXPECT_EQ(MaskPans("card 4111 1111 1111 1111 exp 12/27"), "card 4111 11** **** 1111 exp 12/27");
    EXPECT_EQ(MaskPans("card 5555-5555-5555-4444"), "card 5555-55**-****-4444");
    EXPECT_EQ(MaskPans("amex 3782 822463 10005"), "amex 3782 82**** *0005");
}

TEST(MaskPans, ASpaceJoinsATokensLastDigitGroupToTheNextGroupButABarDoesNot) {
    // Why the payment service's "no PAN outside the vault" invariant joins columns with '|': a UUID
    // card token ending in twelve digits, a space and the last four read as a 16-digit number.
    const std::string token = "0f6e2a9c-4b1d-4e8a-9c3b-100000000003";
    EXPECT_NE(MaskPans(token + " 0013"), token + " 0013");
    EXPECT_EQ(MaskPans(token + "|0013"), token + "|0013");
}

TEST(MaskPans, LeavesUuidsWhoseFirstGroupsAreDigitsAlone) {
    // 2989119600074750 passes Luhn; inside a UUID it is an id, not a card number.
    ASSERT_TRUE(LuhnValid("2989119600074750"));
    for (std::string uuid : {"29891196-0007-4750-870c-cc4029361a88", "29891196-0007-4750-8701-123456789012"})
        EXPECT_EQ(MaskPans("token " + uuid + "|3827"), "token " + uuid + "|3827");
    // The same digits outside a UUID's shape are still masked.
    EXPECT_EQ(MaskPans("card 2989-1196-0007-4750"), "card 2989-11**-****-4750");
    EXPECT_EQ(MaskPans("29891196-0007-4750-870c"), "298911**-****-4750-870c");
}

TEST(MaskPans, MasksInsideJsonStringsAndNumbers) {
    EXPECT_EQ(MaskPans(R"({"pan":"4111111111111111","n":5555555555554444})"),
              R"({"pan":"411111******1111","n":555555******4444})");
}

TEST(MaskPans, MasksSeveralNumbersInOneLine) {
    EXPECT_EQ(MaskPans("from 4111111111111111 to 3566002020360505 and 5555 5555 5555 4444"),
              "from 411111******1111 to 356600******0505 and 5555 55** **** 4444");
}

TEST(MaskPans, MasksNextToUtf8TextUnderscoresAndUrlEscapes) {
    EXPECT_EQ(MaskPans("カード番号4111111111111111です"), "カード番号411111******1111です");
    EXPECT_EQ(MaskPans("card_4111111111111111"), "card_411111******1111");
    EXPECT_EQ(MaskPans("/cards?pan%3D4111111111111111&x=1"), "/cards?pan%3D411111******1111&x=1");
}

TEST(MaskPans, MasksFakeProcessorMagicPans) {
    EXPECT_EQ(MaskPans("4111119999000512"), "411111******0512");
    EXPECT_EQ(MaskPans("3566009999000517"), "356600******0517");
}

TEST(MaskPans, InPlaceReportsHowManyWereMasked) {
    std::string text = "a 4111111111111111 b 5555555555554444 c 4242424242424241";
    EXPECT_EQ(MaskPansInPlace(std::span<char>(text.data(), text.size())), 2u);
    EXPECT_EQ(text, "a 411111******1111 b 555555******4444 c 4242424242424241");
}

// --- must not mask ---------------------------------------------------------------------------

void ExpectUntouched(const std::string& text) { EXPECT_EQ(MaskPans(text), text) << text; }

TEST(MaskPans, LeavesNonLuhnRunsAlone) {
    ExpectUntouched("4242424242424241");
    ExpectUntouched("card 4111 1111 1111 1112");
}

TEST(MaskPans, LeavesTimestampsAlone) {
    ExpectUntouched("2026-11-28T16:47:29.123Z info [sim] started");
    ExpectUntouched("at 2026-11-28 16:47:29.123+09:00");
    ExpectUntouched("epoch 1732812449 s");
    ExpectUntouched("epoch_ms=1732812449129");        // Luhn-valid 13 digits
    ExpectUntouched("epoch_us=1732812449123455");     // Luhn-valid 16 digits
    ExpectUntouched("epoch_ns=1732812449123456786");  // Luhn-valid 19 digits
    ExpectUntouched("compact=20261128164729122");     // yyyyMMddHHmmssfff, Luhn-valid
    ExpectUntouched("compact=20261128164724");        // yyyyMMddHHmmss, Luhn-valid
}

TEST(MaskPans, LeavesShortAndLongDigitRunsAlone) {
    ExpectUntouched("rrn 411111111117");         // 12 digits, Luhn-valid
    ExpectUntouched("id 41111111111111111111");  // 20 digits
    ExpectUntouched("id 91234567812345670123");  // holds a Luhn-valid 16-digit window
    ExpectUntouched("txn PT00000000000000000001");
    ExpectUntouched("merchant 00000000012344");  // zero-padded, Luhn-valid
}

TEST(MaskPans, LeavesPhoneNumbersAlone) {
    ExpectUntouched("tel 090-1234-5678");
    ExpectUntouched("tel +81-90-1234-5678");
    ExpectUntouched("tel +86 138 0013 8002");  // 13 digits, Luhn-valid, but E.164
}

TEST(MaskPans, LeavesDigitsInsideAlphanumericTokensAlone) {
    ExpectUntouched("trace=ab4111111111111111cd");
    ExpectUntouched("x4111111111111111");
    ExpectUntouched("4111111111111111x");
}

TEST(MaskPans, LeavesTextWithFewDigitsAlone) {
    ExpectUntouched("");
    ExpectUntouched("no digits here at all");
    ExpectUntouched("amount=1280 mcc=5499 code=00");
}

}  // namespace
}  // namespace sim::core
