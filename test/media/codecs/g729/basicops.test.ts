/** Saturation and rounding cases of the fixed-point operators, computed by hand. */
import { describe, expect, it } from 'vitest';
import {
  L_add, L_mac, L_msu, L_mult, L_shl, L_shr, L_shr_r, L_sub, MAX_32, MIN_32, Mpy_32_16, abs_s, add,
  div_s, extract_h, extract_l, invSqrt, log2, log2Out, mac, mult, mult_r, negate, norm_l, norm_s, pow2,
  round, shl, shr, shr_r, sub,
} from '../../../../src/media/codecs/g729/basicops.js';

describe('G.729 basic operators', () => {
  it('16-bit add/sub saturate', () => {
    expect(add(32767, 1)).toBe(32767);
    expect(add(100, -50)).toBe(50);
    expect(add(-32768, -1)).toBe(-32768);
    expect(sub(-32768, 1)).toBe(-32768);
    expect(sub(32767, -1)).toBe(32767);
    expect(sub(5, 7)).toBe(-2);
  });

  it('abs_s, negate, extract_h/l', () => {
    expect(abs_s(-32768)).toBe(32767);
    expect(abs_s(-5)).toBe(5);
    expect(negate(-32768)).toBe(32767);
    expect(negate(7)).toBe(-7);
    expect(extract_h(0x12345678)).toBe(0x1234);
    expect(extract_h(-1)).toBe(-1);
    expect(extract_l(0x12348765)).toBe(0x8765 - 65536);
  });

  it('shl/shr with saturation, negative counts and sign', () => {
    expect(shl(0x4000, 1)).toBe(32767);
    expect(shl(-0x4000, 1)).toBe(-32768);
    expect(shl(-0x4001, 1)).toBe(-32768);
    expect(shl(3, 2)).toBe(12);
    expect(shl(1, 16)).toBe(32767);
    expect(shl(0, 20)).toBe(0);
    expect(shl(-8, -2)).toBe(-2);
    expect(shr(-1, 3)).toBe(-1);
    expect(shr(-7, 1)).toBe(-4);
    expect(shr(12345, 15)).toBe(0);
    expect(shr(-12345, 20)).toBe(-1);
    expect(shr(3, -2)).toBe(12);
    expect(shr_r(5, 1)).toBe(3); // 2.5 rounds up
    expect(shr_r(-5, 1)).toBe(-2); // -2.5 rounds toward +inf
    expect(shr_r(100, 16)).toBe(0);
  });

  it('mult, mult_r and L_mult at the -1 x -1 corner', () => {
    expect(mult(-32768, -32768)).toBe(32767);
    expect(mult(16384, 16384)).toBe(8192);
    expect(mult(-16384, 3)).toBe(-2); // floor(-1.5)
    expect(mult_r(-16384, 3)).toBe(-1); // (-49152 + 16384) >> 15
    expect(mult_r(-32768, -32768)).toBe(32767);
    expect(L_mult(-32768, -32768)).toBe(MAX_32);
    expect(L_mult(-32768, 32767)).toBe(-2147418112);
    expect(L_mult(3, -4)).toBe(-24);
  });

  it('32-bit add/sub/mac/msu saturate', () => {
    expect(L_add(MAX_32, 1)).toBe(MAX_32);
    expect(L_add(MIN_32, -1)).toBe(MIN_32);
    expect(L_sub(MIN_32, 1)).toBe(MIN_32);
    expect(L_sub(MAX_32, -1)).toBe(MAX_32);
    expect(L_sub(0, MIN_32)).toBe(MAX_32);
    expect(L_add(1000, -3000)).toBe(-2000);
    expect(L_mac(2147483000, 100, 100)).toBe(MAX_32);
    expect(L_msu(-2147483000, 100, 100)).toBe(MIN_32);
    expect(L_mac(10, 3, 4)).toBe(34);
    expect(mac(2147483000, 100, 100)).toBe(MAX_32);
    expect(mac(0, -32768, -32768)).toBe(MAX_32);
  });

  it('L_shl/L_shr/L_shr_r/round', () => {
    expect(L_shl(0x40000000, 1)).toBe(MAX_32);
    expect(L_shl(-0x40000000, 1)).toBe(MIN_32);
    expect(L_shl(-0x40000001, 1)).toBe(MIN_32);
    expect(L_shl(0x3fffffff, 1)).toBe(0x7ffffffe);
    expect(L_shl(1, 40)).toBe(MAX_32);
    expect(L_shl(-12, -2)).toBe(-3);
    expect(L_shr(-1, 40)).toBe(-1);
    expect(L_shr(MIN_32, 31)).toBe(-1);
    expect(L_shr(5, -1)).toBe(10);
    expect(L_shr_r(5, 1)).toBe(3);
    expect(L_shr_r(-5, 1)).toBe(-2);
    expect(L_shr_r(123, 32)).toBe(0);
    expect(round(0x12348000)).toBe(0x1235);
    expect(round(0x12347fff)).toBe(0x1234);
    expect(round(MAX_32)).toBe(32767);
  });

  it('norm_s/norm_l', () => {
    expect(norm_s(0)).toBe(0);
    expect(norm_s(-1)).toBe(15);
    expect(norm_s(1)).toBe(14);
    expect(norm_s(0x4000)).toBe(0);
    expect(norm_s(-32768)).toBe(0);
    expect(norm_s(-16385)).toBe(0);
    expect(norm_s(-16384)).toBe(1);
    expect(norm_l(0)).toBe(0);
    expect(norm_l(-1)).toBe(31);
    expect(norm_l(1)).toBe(30);
    expect(norm_l(MIN_32)).toBe(0);
    expect(norm_l(0x00ffffff)).toBe(7);
  });

  it('div_s is the truncated Q15 quotient', () => {
    expect(div_s(1, 2)).toBe(16384);
    expect(div_s(1, 3)).toBe(10922);
    expect(div_s(2, 3)).toBe(21845);
    expect(div_s(5, 5)).toBe(32767);
    expect(div_s(0, 9)).toBe(0);
    expect(div_s(16383, 16384)).toBe(32766);
  });

  it('Mpy_32_16, Log2, Pow2 and Inv_sqrt at exact points', () => {
    // 0.5 (hi=16384, lo=0 in Q31) times 0.5 (Q15) = 0.25 in Q31
    expect(Mpy_32_16(16384, 0, 16384)).toBe(0x20000000);
    log2(1024);
    expect(log2Out.exponent).toBe(10);
    expect(log2Out.fraction).toBe(0);
    log2(0);
    expect(log2Out.exponent).toBe(0);
    log2(3 << 20); // log2(3*2^20) = 21.585 → fraction 0.585*32768 ≈ 19168 (table interpolation gives 19167)
    expect(log2Out.exponent).toBe(21);
    expect(Math.abs(log2Out.fraction - 19168)).toBeLessThanOrEqual(2);
    expect(pow2(10, 0)).toBe(1024);
    expect(pow2(14, 16384)).toBe(23170); // 2^14.5 = 23170.5 → table value 23170
    expect(invSqrt(1 << 30)).toBe(32767); // 1/sqrt(2^30) = 2^-15 → Q30: 2^15, first table point 32767
    expect(invSqrt(1 << 28)).toBe(65534); // 2^-14 → 2 × 32767
    expect(invSqrt(0)).toBe(0x3fffffff);
  });
});
