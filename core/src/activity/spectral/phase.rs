//! Table-driven trigonometry for [`spectral`](super): an 8-bit phase of a
//! complex value (integer `atan2`) and a Q14 cosine table.
//!
//! Angles are in *phase units* of 1/256 turn, so angle arithmetic is `u8`
//! wrapping arithmetic and a unit phasor is a table lookup: `cos θ` is
//! `COS_Q14[θ]`, `sin θ` is `COS_Q14[θ − 64]`. Research's study showed that
//! 8-bit phases leave its figures unchanged (issue 10,
//! `notes/detector-research.md`, 01:35).
//!
//! [`phase`] reduces the angle to the first octant (`0 ≤ y ≤ x`), scales
//! `x` to 10 bits, forms `q = 256·y/x` with a reciprocal table (no division)
//! and looks the octant angle up in a 257-entry table with 4 fractional bits;
//! the result is rounded once at the end. Error: at most one phase unit
//! against `round(atan2(y, x)·256/2π)`, and only for values near a rounding
//! boundary (tested over the whole circle).

/// `cos(2π·i/256)` in Q14 (`16384` = 1.0).
pub const COS_Q14: [i16; 256] = [
    16384, 16379, 16364, 16340, 16305, 16261, 16207, 16143, 16069, 15986, 15893, 15791, 15679,
    15557, 15426, 15286, 15137, 14978, 14811, 14635, 14449, 14256, 14053, 13842, 13623, 13395,
    13160, 12916, 12665, 12406, 12140, 11866, 11585, 11297, 11003, 10702, 10394, 10080, 9760, 9434,
    9102, 8765, 8423, 8076, 7723, 7366, 7005, 6639, 6270, 5897, 5520, 5139, 4756, 4370, 3981, 3590,
    3196, 2801, 2404, 2006, 1606, 1205, 804, 402, 0, -402, -804, -1205, -1606, -2006, -2404, -2801,
    -3196, -3590, -3981, -4370, -4756, -5139, -5520, -5897, -6270, -6639, -7005, -7366, -7723,
    -8076, -8423, -8765, -9102, -9434, -9760, -10080, -10394, -10702, -11003, -11297, -11585,
    -11866, -12140, -12406, -12665, -12916, -13160, -13395, -13623, -13842, -14053, -14256, -14449,
    -14635, -14811, -14978, -15137, -15286, -15426, -15557, -15679, -15791, -15893, -15986, -16069,
    -16143, -16207, -16261, -16305, -16340, -16364, -16379, -16384, -16379, -16364, -16340, -16305,
    -16261, -16207, -16143, -16069, -15986, -15893, -15791, -15679, -15557, -15426, -15286, -15137,
    -14978, -14811, -14635, -14449, -14256, -14053, -13842, -13623, -13395, -13160, -12916, -12665,
    -12406, -12140, -11866, -11585, -11297, -11003, -10702, -10394, -10080, -9760, -9434, -9102,
    -8765, -8423, -8076, -7723, -7366, -7005, -6639, -6270, -5897, -5520, -5139, -4756, -4370,
    -3981, -3590, -3196, -2801, -2404, -2006, -1606, -1205, -804, -402, 0, 402, 804, 1205, 1606,
    2006, 2404, 2801, 3196, 3590, 3981, 4370, 4756, 5139, 5520, 5897, 6270, 6639, 7005, 7366, 7723,
    8076, 8423, 8765, 9102, 9434, 9760, 10080, 10394, 10702, 11003, 11297, 11585, 11866, 12140,
    12406, 12665, 12916, 13160, 13395, 13623, 13842, 14053, 14256, 14449, 14635, 14811, 14978,
    15137, 15286, 15426, 15557, 15679, 15791, 15893, 15986, 16069, 16143, 16207, 16261, 16305,
    16340, 16364, 16379,
];

/// `atan(q/256)` in phase units with 4 fractional bits, `q = 0..=256`
/// (0 to 1/8 turn = 512).
const ATAN_Q4: [u16; 257] = [
    0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28, 31, 33, 36, 38, 41, 43, 46, 48, 51, 53, 56, 58, 61,
    63, 66, 69, 71, 74, 76, 79, 81, 84, 86, 89, 91, 94, 96, 99, 101, 104, 106, 108, 111, 113, 116,
    118, 121, 123, 126, 128, 131, 133, 136, 138, 140, 143, 145, 148, 150, 152, 155, 157, 160, 162,
    164, 167, 169, 172, 174, 176, 179, 181, 183, 186, 188, 190, 193, 195, 197, 200, 202, 204, 207,
    209, 211, 214, 216, 218, 220, 223, 225, 227, 229, 232, 234, 236, 238, 241, 243, 245, 247, 249,
    252, 254, 256, 258, 260, 262, 265, 267, 269, 271, 273, 275, 277, 279, 282, 284, 286, 288, 290,
    292, 294, 296, 298, 300, 302, 304, 306, 308, 310, 312, 314, 316, 318, 320, 322, 324, 326, 328,
    330, 332, 334, 336, 338, 340, 342, 344, 346, 347, 349, 351, 353, 355, 357, 359, 360, 362, 364,
    366, 368, 370, 371, 373, 375, 377, 379, 380, 382, 384, 386, 387, 389, 391, 393, 394, 396, 398,
    399, 401, 403, 405, 406, 408, 410, 411, 413, 415, 416, 418, 419, 421, 423, 424, 426, 428, 429,
    431, 432, 434, 435, 437, 439, 440, 442, 443, 445, 446, 448, 449, 451, 452, 454, 455, 457, 458,
    460, 461, 463, 464, 466, 467, 469, 470, 471, 473, 474, 476, 477, 479, 480, 481, 483, 484, 486,
    487, 488, 490, 491, 492, 494, 495, 496, 498, 499, 500, 502, 503, 504, 506, 507, 508, 509, 511,
    512,
];

/// `2^20 / x` (rounded) for `x = 512..1024`: the divisor of [`phase`]'s
/// octant ratio, normalised to 10 bits.
const RECIP_Q20: [u16; 512] = [
    2048, 2044, 2040, 2036, 2032, 2028, 2024, 2020, 2016, 2013, 2009, 2005, 2001, 1997, 1993, 1990,
    1986, 1982, 1978, 1975, 1971, 1967, 1964, 1960, 1956, 1953, 1949, 1945, 1942, 1938, 1935, 1931,
    1928, 1924, 1920, 1917, 1913, 1910, 1907, 1903, 1900, 1896, 1893, 1889, 1886, 1883, 1879, 1876,
    1872, 1869, 1866, 1862, 1859, 1856, 1853, 1849, 1846, 1843, 1840, 1836, 1833, 1830, 1827, 1824,
    1820, 1817, 1814, 1811, 1808, 1805, 1802, 1799, 1796, 1792, 1789, 1786, 1783, 1780, 1777, 1774,
    1771, 1768, 1765, 1762, 1759, 1756, 1753, 1751, 1748, 1745, 1742, 1739, 1736, 1733, 1730, 1727,
    1725, 1722, 1719, 1716, 1713, 1711, 1708, 1705, 1702, 1699, 1697, 1694, 1691, 1689, 1686, 1683,
    1680, 1678, 1675, 1672, 1670, 1667, 1664, 1662, 1659, 1657, 1654, 1651, 1649, 1646, 1644, 1641,
    1638, 1636, 1633, 1631, 1628, 1626, 1623, 1621, 1618, 1616, 1613, 1611, 1608, 1606, 1603, 1601,
    1598, 1596, 1594, 1591, 1589, 1586, 1584, 1582, 1579, 1577, 1574, 1572, 1570, 1567, 1565, 1563,
    1560, 1558, 1556, 1553, 1551, 1549, 1547, 1544, 1542, 1540, 1538, 1535, 1533, 1531, 1529, 1526,
    1524, 1522, 1520, 1517, 1515, 1513, 1511, 1509, 1507, 1504, 1502, 1500, 1498, 1496, 1494, 1492,
    1489, 1487, 1485, 1483, 1481, 1479, 1477, 1475, 1473, 1471, 1469, 1467, 1464, 1462, 1460, 1458,
    1456, 1454, 1452, 1450, 1448, 1446, 1444, 1442, 1440, 1438, 1436, 1434, 1432, 1431, 1429, 1427,
    1425, 1423, 1421, 1419, 1417, 1415, 1413, 1411, 1409, 1407, 1406, 1404, 1402, 1400, 1398, 1396,
    1394, 1393, 1391, 1389, 1387, 1385, 1383, 1382, 1380, 1378, 1376, 1374, 1372, 1371, 1369, 1367,
    1365, 1364, 1362, 1360, 1358, 1357, 1355, 1353, 1351, 1350, 1348, 1346, 1344, 1343, 1341, 1339,
    1337, 1336, 1334, 1332, 1331, 1329, 1327, 1326, 1324, 1322, 1321, 1319, 1317, 1316, 1314, 1312,
    1311, 1309, 1307, 1306, 1304, 1303, 1301, 1299, 1298, 1296, 1295, 1293, 1291, 1290, 1288, 1287,
    1285, 1283, 1282, 1280, 1279, 1277, 1276, 1274, 1273, 1271, 1269, 1268, 1266, 1265, 1263, 1262,
    1260, 1259, 1257, 1256, 1254, 1253, 1251, 1250, 1248, 1247, 1245, 1244, 1242, 1241, 1239, 1238,
    1237, 1235, 1234, 1232, 1231, 1229, 1228, 1226, 1225, 1224, 1222, 1221, 1219, 1218, 1216, 1215,
    1214, 1212, 1211, 1209, 1208, 1207, 1205, 1204, 1202, 1201, 1200, 1198, 1197, 1196, 1194, 1193,
    1192, 1190, 1189, 1188, 1186, 1185, 1183, 1182, 1181, 1180, 1178, 1177, 1176, 1174, 1173, 1172,
    1170, 1169, 1168, 1166, 1165, 1164, 1163, 1161, 1160, 1159, 1157, 1156, 1155, 1154, 1152, 1151,
    1150, 1148, 1147, 1146, 1145, 1143, 1142, 1141, 1140, 1139, 1137, 1136, 1135, 1134, 1132, 1131,
    1130, 1129, 1128, 1126, 1125, 1124, 1123, 1121, 1120, 1119, 1118, 1117, 1116, 1114, 1113, 1112,
    1111, 1110, 1108, 1107, 1106, 1105, 1104, 1103, 1101, 1100, 1099, 1098, 1097, 1096, 1095, 1093,
    1092, 1091, 1090, 1089, 1088, 1087, 1085, 1084, 1083, 1082, 1081, 1080, 1079, 1078, 1077, 1075,
    1074, 1073, 1072, 1071, 1070, 1069, 1068, 1067, 1066, 1065, 1063, 1062, 1061, 1060, 1059, 1058,
    1057, 1056, 1055, 1054, 1053, 1052, 1051, 1050, 1049, 1048, 1046, 1045, 1044, 1043, 1042, 1041,
    1040, 1039, 1038, 1037, 1036, 1035, 1034, 1033, 1032, 1031, 1030, 1029, 1028, 1027, 1026, 1025,
];

/// Significant bits of `x` (0 for 0), by table: Cortex-M0+ has no CLZ.
#[inline(always)]
fn bit_length(x: u32) -> u32 {
    let len = |v: u32| u32::from(BIT_LENGTH.get(v as usize).copied().unwrap_or(8));
    if x < 1 << 8 {
        len(x)
    } else if x < 1 << 16 {
        8 + len(x >> 8)
    } else if x < 1 << 24 {
        16 + len(x >> 16)
    } else {
        24 + len(x >> 24)
    }
}

/// Significant bits of `0..256` (evaluated at compile time: an index out
/// of range would not compile).
#[allow(clippy::indexing_slicing)]
const BIT_LENGTH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 1;
    while i < 256 {
        t[i] = (8 - (i as u8).leading_zeros()) as u8;
        i += 1;
    }
    t
};

/// `cos θ` in Q14 for an angle in phase units (1/256 turn).
#[inline(always)]
pub fn cos_q14(theta: u8) -> i32 {
    i32::from(COS_Q14.get(usize::from(theta)).copied().unwrap_or(0))
}

/// `cos θ` in Q14 for an angle in the top byte of `theta` (phase units
/// × 2^24, so that angle arithmetic wraps in 32 bits).
#[inline(always)]
pub fn cos_q14_top(theta: u32) -> i32 {
    i32::from(COS_Q14.get((theta >> 24) as usize).copied().unwrap_or(0))
}

/// `sin θ` in Q14 for an angle in phase units (1/256 turn).
#[inline(always)]
pub fn sin_q14(theta: u8) -> i32 {
    cos_q14(theta.wrapping_sub(64))
}

/// The angle of `re + i·im` in phase units (1/256 turn, counter-clockwise
/// from the positive real axis), rounded to the nearest unit; `0` for `0`.
/// Any `i32` input is valid.
pub fn phase(re: i32, im: i32) -> u8 {
    let (ax, ay) = (re.unsigned_abs(), im.unsigned_abs());
    let (big, small) = if ay <= ax { (ax, ay) } else { (ay, ax) };
    if big == 0 {
        return 0;
    }
    // Scale so that `big` has exactly 10 significant bits (512..1024).
    let bits = bit_length(big);
    let (b, s) = if bits > 10 {
        let sh = bits - 10;
        (big >> sh, small >> sh)
    } else {
        let sh = 10 - bits;
        (big << sh, small << sh)
    };
    let recip = u32::from(
        RECIP_Q20
            .get(b.wrapping_sub(512) as usize)
            .copied()
            .unwrap_or(1024),
    );
    // q = 256·s/b, s <= b < 1024, recip <= 2048: the product fits easily.
    let q = ((s * recip + (1 << 11)) >> 12).min(256);
    let octant = i32::from(ATAN_Q4.get(q as usize).copied().unwrap_or(0));
    // Angle within the quadrant (0..=64 units, Q4).
    let a = if ay <= ax { octant } else { 1024 - octant };
    let angle_q4 = match (re >= 0, im >= 0) {
        (true, true) => a,
        (false, true) => 2048 - a,
        (false, false) => 2048 + a,
        (true, false) => 4096 - a,
    };
    (((angle_q4 + 8) >> 4) & 255) as u8
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;
    extern crate std;

    #[test]
    fn the_cosine_table_is_cos_in_q14() {
        for i in 0..256u32 {
            let exact = (2.0 * core::f64::consts::PI * f64::from(i) / 256.0).cos() * 16384.0;
            let got = cos_q14(i as u8);
            assert!(
                (f64::from(got) - exact).abs() <= 0.5,
                "cos[{i}] = {got}, exact {exact}"
            );
            let exact_sin = (2.0 * core::f64::consts::PI * f64::from(i) / 256.0).sin() * 16384.0;
            let got_sin = sin_q14(i as u8);
            assert!(
                (f64::from(got_sin) - exact_sin).abs() <= 0.5,
                "sin[{i}] = {got_sin}"
            );
        }
    }

    fn exact_phase(re: i32, im: i32) -> f64 {
        let a = f64::from(im).atan2(f64::from(re)) * 256.0 / (2.0 * core::f64::consts::PI);
        a.rem_euclid(256.0)
    }

    /// Distance in phase units on the circle.
    fn circular(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(256.0);
        d.min(256.0 - d)
    }

    #[test]
    fn the_phase_is_within_half_a_unit_and_a_little_of_atan2_all_around_the_circle() {
        // Every 1/4096 turn, at magnitudes from 3 to 2^30: rounding to a
        // unit is at most 0.5 off; the tables add at most 0.1.
        for radius in [3.0f64, 40.0, 700.0, 30_000.0, 46_000.0, 1.0e6, 1.0e9] {
            for step in 0..4096 {
                let th = 2.0 * core::f64::consts::PI * f64::from(step) / 4096.0;
                let (re, im) = (
                    (radius * th.cos()).round() as i32,
                    (radius * th.sin()).round() as i32,
                );
                let got = f64::from(phase(re, im));
                let exact = exact_phase(re, im);
                // Small radii: the input itself is quantised; allow its
                // angle error on top.
                let slack = 0.6 + 256.0 / (2.0 * core::f64::consts::PI) / radius;
                assert!(
                    circular(got, exact) <= slack,
                    "phase({re}, {im}) = {got}, exact {exact}"
                );
            }
        }
    }

    #[test]
    fn axes_diagonals_zero_and_extremes() {
        assert_eq!(phase(0, 0), 0);
        assert_eq!(phase(5, 0), 0);
        assert_eq!(phase(0, 5), 64);
        assert_eq!(phase(-5, 0), 128);
        assert_eq!(phase(0, -5), 192);
        assert_eq!(phase(7, 7), 32);
        assert_eq!(phase(-7, 7), 96);
        assert_eq!(phase(-7, -7), 160);
        assert_eq!(phase(7, -7), 224);
        assert_eq!(phase(i32::MIN, 0), 128);
        assert_eq!(phase(0, i32::MIN), 192);
        assert_eq!(phase(i32::MAX, i32::MAX), 32);
        assert_eq!(phase(i32::MIN, i32::MIN), 160);
        // Just below the positive real axis wraps to 255 / 0, not 256.
        assert_eq!(phase(1_000_000, -1), 0);
        assert_eq!(phase(1000, -25), 255);
    }
}
