#include "core/blas.h"

#include <cblas.h>
#include <lapacke.h>

namespace qs::blas {
namespace {
CBLAS_TRANSPOSE to_cblas(Trans trans) { return trans == Trans::Yes ? CblasTrans : CblasNoTrans; }
}  // namespace

void sgemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

void dgemm(Trans trans_a, Trans trans_b, int m, int n, int k, double alpha, const double* a, int lda,
           const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

void ssyrk_upper_ata(int n, int k, float alpha, const float* a, int lda, float beta, float* c, int ldc) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, alpha, a, lda, beta, c, ldc);
}

void dsyrk_upper_ata(int n, int k, double alpha, const double* a, int lda, double beta, double* c, int ldc) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, alpha, a, lda, beta, c, ldc);
}

// Row-major lower = column-major upper of the same buffer.
int dpotrf_lower(int n, double* a, int lda) { return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, a, lda); }

int dtrtri_upper(int n, double* a, int lda) { return LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'L', 'N', n, a, lda); }

void dtrmm_right_upper(int m, int n, const double* a, int lda, double* b, int ldb) {
  cblas_dtrmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0, a, lda, b, ldb);
}

void set_threads(int threads) { openblas_set_num_threads(threads); }

int threads() { return openblas_get_num_threads(); }

std::string describe() {
  return std::string(openblas_get_config()) + " (core " + openblas_get_corename() + ")";
}

}  // namespace qs::blas
