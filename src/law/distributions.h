#pragma once
// The distribution functions OLS inference needs, built on the regularized incomplete beta
// function I_x(a, b) (continued fraction, Numerical Recipes §6.4 / Lentz's method):
//   Student t:  P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2)
//   F(d1, d2):  P(F > f)   = I_{d2/(d2+d1 f)}(d2/2, d1/2)
// Accurate to ~1e-13 relative over the ranges regression uses; arguments out of range throw
// qs::Error.
namespace qs::law {

double incomplete_beta(double x, double a, double b);  // I_x(a, b), x in [0, 1], a, b > 0

double student_t_cdf(double t, double df);
double student_t_two_sided_p(double t, double df);  // P(|T| >= |t|)
double student_t_quantile(double p, double df);     // inverse of student_t_cdf, p in (0, 1)

double f_survival(double f, double df_num, double df_den);  // P(F >= f)

double normal_cdf(double z);

}  // namespace qs::law
