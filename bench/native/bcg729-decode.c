/*
 * Benchmark harness for the bench suite bench/g729.ts: decodes a file of concatenated
 * 10-byte G.729 frames with libbcg729 (Debian libbcg729-dev), `repeat` times, and writes
 * the PCM of the last pass to a file. Prints the decode time (seconds, excluding file I/O)
 * on stdout. Built at bench time: cc -O2 bcg729-decode.c -lbcg729
 * Usage: bcg729-decode FRAMES.g729 OUT.s16 REPEAT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bcg729/decoder.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s frames.g729 out.s16 repeat\n", argv[0]);
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  if (!in) return 1;
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fseek(in, 0, SEEK_SET);
  uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
  if (fread(data, 1, (size_t)size, in) != (size_t)size) return 1;
  fclose(in);
  long frames = size / 10;
  int repeat = atoi(argv[3]);
  int16_t *pcm = malloc((size_t)(frames > 0 ? frames : 1) * 80 * sizeof(int16_t));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int r = 0; r < repeat; r++) {
    bcg729DecoderChannelContextStruct *ctx = initBcg729DecoderChannel();
    for (long f = 0; f < frames; f++) bcg729Decoder(ctx, data + 10 * f, 10, 0, 0, 0, pcm + 80 * f);
    closeBcg729DecoderChannel(ctx);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  FILE *out = fopen(argv[2], "wb");
  if (!out) return 1;
  fwrite(pcm, sizeof(int16_t), (size_t)frames * 80, out);
  fclose(out);
  printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  free(data);
  free(pcm);
  return 0;
}
