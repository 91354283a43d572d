/* Baseline for `npm run bench:init-peft`'s exact-SVD row: LAPACK sgesdd (OpenBLAS's LAPACK) called directly from C on
   the same matrix the addon factors, with the same job ("S", thin) and the same column-major view of row-major data.
   Usage: lapack_gesdd FILE ROWS COLS REPS  (FILE: rows×cols float32, row-major) -> one line per rep: seconds of the
   sgesdd call alone (the input is copied back before each rep, untimed: gesdd destroys it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u, const int* ldu,
             float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 5) return 2;
  const int rows = atoi(argv[2]), cols = atoi(argv[3]), reps = atoi(argv[4]);
  const int M = cols, N = rows, p = rows < cols ? rows : cols; /* row-major rows×cols == column-major cols×rows */
  const size_t len = (size_t)rows * cols;
  float *src = malloc(len * 4), *a = malloc(len * 4), *s = malloc((size_t)p * 4);
  float *u = malloc((size_t)M * p * 4), *vt = malloc((size_t)p * N * 4);
  int* iwork = malloc((size_t)8 * p * sizeof(int));
  FILE* f = fopen(argv[1], "rb");
  if (!f || fread(src, 4, len, f) != len) return 3;
  fclose(f);
  int info = 0, lwork = -1;
  float wq;
  memcpy(a, src, len * 4);
  sgesdd_("S", &M, &N, a, &M, s, u, &M, vt, &p, &wq, &lwork, iwork, &info);
  lwork = (int)wq + 1;
  float* work = malloc((size_t)lwork * 4);
  for (int r = 0; r <= reps; r++) { /* rep 0 is a warm-up */
    memcpy(a, src, len * 4);
    double t0 = now();
    sgesdd_("S", &M, &N, a, &M, s, u, &M, vt, &p, work, &lwork, iwork, &info);
    if (r > 0) printf("%.9f\n", now() - t0);
    if (info != 0) return 4;
  }
  return 0;
}
