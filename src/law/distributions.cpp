#include "law/distributions.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace qs::law {
namespace {

// Continued fraction of I_x(a, b) (NR eq. 6.4.5), evaluated by the modified Lentz method.
double beta_continued_fraction(double x, double a, double b) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < eps) return h;
  }
  throw Error("incomplete_beta", "continued fraction did not converge (a=" + std::to_string(a) +
                                     ", b=" + std::to_string(b) + ", x=" + std::to_string(x) + ")");
}

}  // namespace

double incomplete_beta(double x, double a, double b) {
  require(a > 0 && b > 0 && x >= 0 && x <= 1, "incomplete_beta",
          "arguments out of range (a=" + std::to_string(a) + ", b=" + std::to_string(b) + ", x=" + std::to_string(x) + ")");
  if (x == 0) return 0;
  if (x == 1) return 1;
  double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  double front = std::exp(log_front);
  // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(x, a, b) / a;
  return 1 - front * beta_continued_fraction(1 - x, b, a) / b;
}

double student_t_two_sided_p(double t, double df) {
  require(df > 0, "student_t", "degrees of freedom must be positive");
  if (std::isinf(t)) return 0;
  return incomplete_beta(df / (df + t * t), df / 2, 0.5);
}

double student_t_cdf(double t, double df) {
  double tail = student_t_two_sided_p(t, df) / 2;
  return t < 0 ? tail : 1 - tail;
}

double student_t_quantile(double p, double df) {
  require(p > 0 && p < 1, "student_t_quantile", "probability must lie in (0, 1)");
  if (p == 0.5) return 0;
  // Solve P(|T| >= t) = 2·min(p, 1-p) for t > 0 by bracketing and bisection (monotone).
  double target = 2 * std::fmin(p, 1 - p);
  double lo = 0, hi = 1;
  while (student_t_two_sided_p(hi, df) > target) {
    lo = hi;
    hi *= 2;
    require(hi < 1e300, "student_t_quantile", "no bracket found");
  }
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    double mid = (lo + hi) / 2;
    (student_t_two_sided_p(mid, df) > target ? lo : hi) = mid;
  }
  double t = (lo + hi) / 2;
  return p < 0.5 ? -t : t;
}

double f_survival(double f, double df_num, double df_den) {
  require(df_num > 0 && df_den > 0, "f_survival", "degrees of freedom must be positive");
  if (f <= 0) return 1;
  return incomplete_beta(df_den / (df_den + df_num * f), df_den / 2, df_num / 2);
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace qs::law
