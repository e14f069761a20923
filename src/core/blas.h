#pragma once
// Thin row-major wrappers over OpenBLAS (CBLAS) and LAPACKE, so call sites read like the math.
// Matrices are row-major with an explicit leading dimension (elements between rows).
#include <cstddef>
#include <string>

namespace qs::blas {

enum class Trans { No, Yes };

// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C
void sgemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);
void dgemm(Trans trans_a, Trans trans_b, int m, int n, int k, double alpha, const double* a, int lda,
           const double* b, int ldb, double beta, double* c, int ldc);

// Upper triangle of C[n,n] = alpha * A^T A + beta * C with A[k,n] (rows are samples):
// the Hessian accumulation X^T X of GPTQ.
void ssyrk_upper_ata(int n, int k, float alpha, const float* a, int lda, float beta, float* c, int ldc);
void dsyrk_upper_ata(int n, int k, double alpha, const double* a, int lda, double beta, double* c, int ldc);

// Cholesky A = L L^T of a symmetric A[n,n], L lower, written into the lower triangle (the strict
// upper triangle keeps A's entries). Returns LAPACK info: 0 ok, >0 not positive definite.
// (A symmetric row-major matrix is its own column-major transpose, so this is column-major 'U'
// on the same buffer: no LAPACKE transpose copies.)
int dpotrf_lower(int n, double* a, int lda);
// Inverse of an upper-triangular U[n,n] in place (upper triangle; the strict lower is not read).
// Returns LAPACK info: 0 ok, >0 singular.
int dtrtri_upper(int n, double* a, int lda);
// B[m,n] = B * A for an upper-triangular A[n,n] (the strict lower triangle is not read).
void dtrmm_right_upper(int m, int n, const double* a, int lda, double* b, int ldb);

// Number of threads BLAS uses; set once at start-up from --threads.
void set_threads(int threads);
int threads();

// The BLAS library's build and the kernel it chose for this CPU (OpenBLAS picks its own at run
// time, independently of core/cpu_dispatch.h), e.g. "OpenBLAS 0.3.21 ... (core Haswell)".
std::string describe();

}  // namespace qs::blas
