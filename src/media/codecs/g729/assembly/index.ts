// AssemblyScript source of the G.729 postfilter's hottest loops, compiled to WebAssembly (with SIMD) by
// scripts/build-wasm.mjs. Each function computes exactly what its TypeScript twin in ../postfilter.ts
// computes — the same integer sums, the same rounding — four samples per instruction. The caller keeps
// every array these functions read or write in this module's memory (see ../kernels.ts); addresses are
// byte addresses, sample indexes are in samples. Nothing here allocates: the module has no runtime.

/** Four consecutive Word16 samples from `addr`, sign-extended to 32 bits. */
// @ts-ignore: decorator
@inline function load4(addr: usize): v128 {
  return i32x4.extend_low_i16x8_s(v128.load64_zero(addr));
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline function lanesSum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * The fractional-delay search's seven phases of the short interpolation filter (search_del): for phase
 * phi (1..7) with taps h = 2 * taps[4 (phi - 1) ..], the 41 samples y[n] = (h0 x[p+n] + h1 x[p+n-1] +
 * h2 x[p+n-2] + h3 x[p+n-3] + 2^15) >> 16 from p = past0; its first and last sample into
 * yUp[41 (phi - 1)] and yUp[41 (phi - 1) + 40]; and into out (Int32, four rows of 7) the correlations
 * 2 sum x[xo+n] y[n] (n < 40) and 2 sum x[xo+n-1] y[n] (n >= 1) and the energies without the last / the
 * first sample. The caller scaled x to |x| <= 4096 so every sum is exact in 32 bits (see postfilter.ts).
 * scratch: 48 Int32 of working space.
 */
export function phaseSearch(x: usize, xo: i32, past0: i32, taps: usize, yUp: usize, out: usize, scratch: usize): void {
  const xs = x + (<usize>xo << 1);
  for (let phi = 1; phi < 8; phi++) {
    const t = taps + (<usize>(phi - 1) << 3);
    const h0 = i32x4.splat(<i32>load<i16>(t) * 2);
    const h1 = i32x4.splat(<i32>load<i16>(t, 2) * 2);
    const h2 = i32x4.splat(<i32>load<i16>(t, 4) * 2);
    const h3 = i32x4.splat(<i32>load<i16>(t, 6) * 2);
    const half = i32x4.splat(0x8000);
    // y[0..43] (the last three unused), as Int32 in scratch.
    for (let k = 0; k < 44; k += 4) {
      const p = x + (<usize>(past0 + k) << 1);
      let acc = i32x4.mul(h0, load4(p));
      acc = i32x4.add(acc, i32x4.mul(h1, load4(p - 2)));
      acc = i32x4.add(acc, i32x4.mul(h2, load4(p - 4)));
      acc = i32x4.add(acc, i32x4.mul(h3, load4(p - 6)));
      v128.store(scratch + (<usize>k << 2), i32x4.shr_s(i32x4.add(acc, half), 16));
    }
    let c0 = i32x4.splat(0);
    let c1 = i32x4.splat(0);
    let e = i32x4.splat(0);
    for (let k = 0; k < 40; k += 4) {
      const xv = load4(xs + (<usize>k << 1));
      const y = v128.load(scratch + (<usize>k << 2));
      const yNext = v128.load(scratch + (<usize>(k + 1) << 2));
      c0 = i32x4.add(c0, i32x4.mul(xv, y));
      c1 = i32x4.add(c1, i32x4.mul(xv, yNext));
      e = i32x4.add(e, i32x4.mul(y, y));
    }
    const y0 = load<i32>(scratch);
    const y40 = load<i32>(scratch, 160);
    const eMid = lanesSum(e) - y0 * y0;
    const row = out + (<usize>(phi - 1) << 2);
    store<i32>(row, lanesSum(c0) * 2);
    store<i32>(row, lanesSum(c1) * 2, 28);
    store<i32>(row, (eMid + y0 * y0) * 2, 56);
    store<i32>(row, (eMid + y40 * y40) * 2, 84);
    const yo = yUp + (<usize>((phi - 1) * 41) << 1);
    store<i16>(yo, <i16>y0);
    store<i16>(yo, <i16>y40, 80);
  }
}

/**
 * compute_ltp_l's filter: the 40 samples y[n] = (sum_k taps[k] x[p0 + n - 15 + k]... ) of the long
 * interpolation filter (16 taps, in the order of the TypeScript loop: x[p0 + n - 15] times taps[15] up to
 * x[p0 + n] times taps[0]), rounded (acc + 2^14) >> 15, into y[0..40); and into out (Int32 × 3) the
 * correlation sum y[n] x[xo + n], the energy sum y[n]^2 and max |y[n]| (plain int32 sums, as there).
 */
export function longFilter(x: usize, p0: i32, xo: i32, taps: usize, y: usize, out: usize): void {
  const base = x + (<usize>(p0 - 15) << 1);
  const xs = x + (<usize>xo << 1);
  let corr = i32x4.splat(0);
  let en = i32x4.splat(0);
  let maxY = i32x4.splat(0);
  const round = i32x4.splat(0x4000);
  for (let n = 0; n < 40; n += 4) {
    const p = base + (<usize>n << 1);
    let acc = i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 30)), load4(p));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 28)), load4(p + 2)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 26)), load4(p + 4)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 24)), load4(p + 6)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 22)), load4(p + 8)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 20)), load4(p + 10)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 18)), load4(p + 12)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 16)), load4(p + 14)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 14)), load4(p + 16)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 12)), load4(p + 18)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 10)), load4(p + 20)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 8)), load4(p + 22)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 6)), load4(p + 24)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 4)), load4(p + 26)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps, 2)), load4(p + 28)));
    acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(taps)), load4(p + 30)));
    const v = i32x4.shr_s(i32x4.add(acc, round), 15);
    v128.store64_lane(y + (<usize>n << 1), i16x8.narrow_i32x4_s(v, v), 0);
    corr = i32x4.add(corr, i32x4.mul(v, load4(xs + (<usize>n << 1))));
    en = i32x4.add(en, i32x4.mul(v, v));
    maxY = i32x4.max_s(maxY, i32x4.abs(v));
  }
  store<i32>(out, lanesSum(corr));
  store<i32>(out, lanesSum(en), 4);
  store<i32>(out, max(max(i32x4.extract_lane(maxY, 0), i32x4.extract_lane(maxY, 1)), max(i32x4.extract_lane(maxY, 2), i32x4.extract_lane(maxY, 3))), 8);
}

/** Under this |sample| bound the 20-tap interpolation sum and its rounding cannot saturate (as dsp.ts). */
const PRED_FAST_LIMIT = 18000;

/** Output j of predLt3 by the saturating L_mac chain (dsp.ts predSlow); returns its magnitude. */
function predSlow(exc: usize, off: i32, x0: i32, frac: i32, c2Base: i32, j: i32, table: usize): i32 {
  const x1 = x0 + j;
  const x2 = x1 + 1;
  let s: i64 = 0;
  for (let i = 0, k = 0; i < 10; i++, k += 3) {
    s += <i64>(<i32>load<i16>(exc + (<usize>(x1 - i) << 1)) * <i32>load<i16>(table + (<usize>(frac + k) << 1))) * 2;
    s = s > 2147483647 ? 2147483647 : s < -2147483648 ? -2147483648 : s;
    s += <i64>(<i32>load<i16>(exc + (<usize>(x2 + i) << 1)) * <i32>load<i16>(table + (<usize>(c2Base + k) << 1))) * 2;
    s = s > 2147483647 ? 2147483647 : s < -2147483648 ? -2147483648 : s;
  }
  s += 0x8000;
  if (s > 2147483647) s = 2147483647;
  const r = <i32>(s >> 16);
  store<i16>(exc + (<usize>(off + j) << 1), <i16>r);
  return r < 0 ? -r : r;
}

/**
 * Pred_lt_3 (dsp.ts predLt3): the adaptive codebook vector by 1/3-resolution interpolation of the past
 * excitation, written at exc[off .. off + L). table: inter3l. While every sample read stays under
 * PRED_FAST_LIMIT the plain 32-bit sums are exact and four outputs are formed at once; otherwise an
 * output takes the saturating chain. maxAbs is the OR of the magnitudes read so far, as there.
 */
export function predLt3(exc: usize, off: i32, t0: i32, frac: i32, L: i32, table: usize): void {
  let x0 = off - t0;
  frac = -frac;
  if (frac < 0) {
    frac += 3;
    x0--;
  }
  const c2Base = 3 - frac;
  let maxAbs = 0;
  let end = x0 + L + 10;
  if (end > off) end = off;
  for (let k = x0 - 9; k < end; k++) {
    const v = <i32>load<i16>(exc + (<usize>k << 1));
    maxAbs |= v < 0 ? -v : v;
  }
  // Taps of exc[x0 + j - 9 + t], t = 0..19: w(t) = inter3l[frac + 27 - 3t] for t < 10, inter3l[c2Base + 3(t - 10)] after.
  const quads = x0 + 13 < off ? L >> 2 : 0;
  let j = 0;
  const round = i32x4.splat(0x4000);
  for (; j < 4 * quads; j += 4) {
    if (maxAbs <= PRED_FAST_LIMIT) {
      const p = exc + (<usize>(x0 + j - 9) << 1);
      let acc = i32x4.splat(0);
      for (let t = 0; t < 10; t++) {
        acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(table + (<usize>(frac + 27 - 3 * t) << 1))), load4(p + (<usize>t << 1))));
      }
      for (let t = 10; t < 20; t++) {
        acc = i32x4.add(acc, i32x4.mul(i32x4.splat(<i32>load<i16>(table + (<usize>(c2Base + 3 * (t - 10)) << 1))), load4(p + (<usize>t << 1))));
      }
      const r = i32x4.shr_s(i32x4.add(acc, round), 15);
      v128.store64_lane(exc + (<usize>(off + j) << 1), i16x8.narrow_i32x4_s(r, r), 0);
      const m = i32x4.abs(r);
      maxAbs |= i32x4.extract_lane(m, 0) | i32x4.extract_lane(m, 1) | i32x4.extract_lane(m, 2) | i32x4.extract_lane(m, 3);
    } else {
      maxAbs |= predSlow(exc, off, x0, frac, c2Base, j, table);
      maxAbs |= predSlow(exc, off, x0, frac, c2Base, j + 1, table);
      maxAbs |= predSlow(exc, off, x0, frac, c2Base, j + 2, table);
      maxAbs |= predSlow(exc, off, x0, frac, c2Base, j + 3, table);
    }
  }
  for (; j < L; j++) {
    if (maxAbs <= PRED_FAST_LIMIT) {
      const p = exc + (<usize>(x0 + j - 9) << 1);
      let acc = 0;
      for (let t = 0; t < 10; t++) acc += <i32>load<i16>(table + (<usize>(frac + 27 - 3 * t) << 1)) * <i32>load<i16>(p + (<usize>t << 1));
      for (let t = 10; t < 20; t++) acc += <i32>load<i16>(table + (<usize>(c2Base + 3 * (t - 10)) << 1)) * <i32>load<i16>(p + (<usize>t << 1));
      const r = (acc + 0x4000) >> 15;
      store<i16>(exc + (<usize>(off + j) << 1), <i16>r);
      maxAbs |= r < 0 ? -r : r;
    } else maxAbs |= predSlow(exc, off, x0, frac, c2Base, j, table);
  }
}

/**
 * Residu (dsp.ts residu): y[i] = (sum_k a[k] x[i - k]) rounded as the synthesis filter does, for lg samples
 * (a multiple of 4); x needs 10 samples of history. Only where sum |a| * max |x| <= 2^30 - 1, so that no
 * partial sum can saturate (the caller's usual case): returns the OR of the output magnitudes, or -1
 * without writing anything when the bound does not hold (the caller then takes the saturating path).
 */
export function residu(a: usize, x: usize, y: usize, lg: i32): i32 {
  let absSum = 0;
  for (let k = 0; k <= 10; k++) {
    const v = <i32>load<i16>(a + (<usize>k << 1));
    absSum += v < 0 ? -v : v;
  }
  let maxX = 32768;
  if (absSum > 32767) {
    maxX = 0;
    for (let k = -10; k < lg; k++) {
      const v = <i32>load<i16>(x + (<usize>k << 1));
      const m = v < 0 ? -v : v;
      if (m > maxX) maxX = m;
    }
  }
  if (<i64>absSum * maxX > 1073741823) return -1;
  const a0 = i32x4.splat(<i32>load<i16>(a)), a1 = i32x4.splat(<i32>load<i16>(a, 2)), a2 = i32x4.splat(<i32>load<i16>(a, 4));
  const a3 = i32x4.splat(<i32>load<i16>(a, 6)), a4 = i32x4.splat(<i32>load<i16>(a, 8)), a5 = i32x4.splat(<i32>load<i16>(a, 10));
  const a6 = i32x4.splat(<i32>load<i16>(a, 12)), a7 = i32x4.splat(<i32>load<i16>(a, 14)), a8 = i32x4.splat(<i32>load<i16>(a, 16));
  const a9 = i32x4.splat(<i32>load<i16>(a, 18)), a10 = i32x4.splat(<i32>load<i16>(a, 20));
  const hi = i32x4.splat(0x7fff800 - 1), lo = i32x4.splat(-0x8000000), round = i32x4.splat(2048);
  let mag = i32x4.splat(0);
  for (let i = 0; i < lg; i += 4) {
    const p = x + (<usize>i << 1);
    let acc = i32x4.mul(a0, load4(p));
    acc = i32x4.add(acc, i32x4.mul(a1, load4(p - 2)));
    acc = i32x4.add(acc, i32x4.mul(a2, load4(p - 4)));
    acc = i32x4.add(acc, i32x4.mul(a3, load4(p - 6)));
    acc = i32x4.add(acc, i32x4.mul(a4, load4(p - 8)));
    acc = i32x4.add(acc, i32x4.mul(a5, load4(p - 10)));
    acc = i32x4.add(acc, i32x4.mul(a6, load4(p - 12)));
    acc = i32x4.add(acc, i32x4.mul(a7, load4(p - 14)));
    acc = i32x4.add(acc, i32x4.mul(a8, load4(p - 16)));
    acc = i32x4.add(acc, i32x4.mul(a9, load4(p - 18)));
    acc = i32x4.add(acc, i32x4.mul(a10, load4(p - 20)));
    // round(L_shl(2 acc, 3)) = (acc + 2^11) >> 12 inside the bounds, else the saturated value's (as dsp.ts).
    const r = i32x4.shr_s(i32x4.add(i32x4.min_s(i32x4.max_s(acc, lo), hi), round), 12);
    v128.store64_lane(y + (<usize>i << 1), i16x8.narrow_i32x4_s(r, r), 0);
    mag = v128.or(mag, i32x4.abs(r));
  }
  return i32x4.extract_lane(mag, 0) | i32x4.extract_lane(mag, 1) | i32x4.extract_lane(mag, 2) | i32x4.extract_lane(mag, 3);
}

/**
 * Correlations of a 40-sample subframe with its own past, as plain 32-bit sums (the callers use it only
 * where their bounds make these exact): out[j] = sum x[s + n] x[s + n - (dMin + j)] for j < count (count
 * 3 or 7), out[count] = sum x[s + n]^2 and out[count + 1] = sum x[s + n - dMin]^2 (n < 40), all Int32.
 */
export function lagCorrelations(x: usize, s: i32, dMin: i32, count: i32, out: usize): void {
  const base = x + (<usize>s << 1);
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
  let c4 = i32x4.splat(0), c5 = i32x4.splat(0), c6 = i32x4.splat(0);
  let e = i32x4.splat(0), ed = i32x4.splat(0);
  const back = <usize>dMin << 1;
  for (let k = 0; k < 40; k += 4) {
    const p = base + (<usize>k << 1);
    const v = load4(p);
    e = i32x4.add(e, i32x4.mul(v, v));
    const d0 = load4(p - back);
    ed = i32x4.add(ed, i32x4.mul(d0, d0));
    c0 = i32x4.add(c0, i32x4.mul(v, d0));
    c1 = i32x4.add(c1, i32x4.mul(v, load4(p - back - 2)));
    c2 = i32x4.add(c2, i32x4.mul(v, load4(p - back - 4)));
    if (count > 3) {
      c3 = i32x4.add(c3, i32x4.mul(v, load4(p - back - 6)));
      c4 = i32x4.add(c4, i32x4.mul(v, load4(p - back - 8)));
      c5 = i32x4.add(c5, i32x4.mul(v, load4(p - back - 10)));
      c6 = i32x4.add(c6, i32x4.mul(v, load4(p - back - 12)));
    }
  }
  store<i32>(out, lanesSum(c0));
  store<i32>(out, lanesSum(c1), 4);
  store<i32>(out, lanesSum(c2), 8);
  if (count > 3) {
    store<i32>(out, lanesSum(c3), 12);
    store<i32>(out, lanesSum(c4), 16);
    store<i32>(out, lanesSum(c5), 20);
    store<i32>(out, lanesSum(c6), 24);
  }
  const at = out + (<usize>count << 2);
  store<i32>(at, lanesSum(e));
  store<i32>(at, lanesSum(ed), 4);
}
