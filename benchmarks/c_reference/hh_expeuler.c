/*
 * C reference loop for the Dayan & Abbott Hodgkin-Huxley model (GitHub issue 8).
 *
 * This is the "machine limit" that benchmarks/throughput.py compares every
 * other implementation against.  It is compiled at run time by the harness,
 * e.g.
 *
 *     gcc -O3 -march=native -ffast-math -fopenmp hh_expeuler.c -o hh -lm
 *     gcc -O3 -march=native -ffast-math -fopenmp -DHH_RK4 hh_expeuler.c ...
 *
 * and run as   ./hh N STEPS THREADS   ; it prints one line of JSON.
 *
 * Model (Dayan & Abbott 2001, section 5.6; rates from the lecture's modern
 * table; modern convention: V in mV, depolarisation positive; t in ms):
 *   per mm^2: g_Na 1.2, g_K 0.36, g_L 0.003 mS; E_Na 50, E_K -77,
 *   E_L -54.387 mV; c_m = 10 nF/mm^2 = 0.01 uF/mm^2 (mS/mm^2 * mV = uA/mm^2,
 *   uA/uF = mV/ms).
 *   alpha_n = 0.01 (V+55) / (1 - exp(-0.1 (V+55)))  = 0.1 / exprel(-0.1 (V+55))
 *   beta_n  = 0.125 exp(-0.0125 (V+65))
 *   alpha_m = 0.1 (V+40) / (1 - exp(-0.1 (V+40)))   = 1.0 / exprel(-0.1 (V+40))
 *   beta_m  = 4 exp(-0.0556 (V+65))
 *   alpha_h = 0.07 exp(-0.05 (V+65))
 *   beta_h  = 1 / (1 + exp(-0.1 (V+35)))
 *
 * Protocol: dt = 0.01 ms; neuron i gets the constant current
 * I_i = i/N * 0.2 uA/mm^2; V = -65 mV and the gates at x_inf(-65 mV) initially.
 * Spike counter: threshold and refractoriness at -20 mV, i.e. an upward
 * crossing (v > -20 now, and v <= -20 at the start of the step), which is what
 * Brian2 does with threshold='v > -20*mV', refractory='v > -20*mV'.
 *
 * Exponential Euler (default) is Brian2's scheme: every coefficient comes from
 * the state at the start of the step, and each variable is updated as
 *     x <- -B/A + (x + B/A) * exp(A dt)   for dx/dt = A x + B.
 * With -DHH_RK4 the classical fourth-order Runge-Kutta scheme is used instead.
 *
 * Structure of arrays; the time loop is outside and the neuron loop inside
 * (as in any simulator that must exchange spikes every step), parallelised
 * with an OpenMP "for" (one barrier per step).  Only the integration loop is
 * timed (clock_gettime, CLOCK_MONOTONIC).
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define G_NA 1.2
#define G_K 0.36
#define G_L 0.003
#define E_NA 50.0
#define E_K (-77.0)
#define E_L (-54.387)
#define C_M 0.01
#define I_MAX 0.2
#define V_TH (-20.0)
#define DT 0.01

/* (e^x - 1)/x, finite at 0.  Branch-free: both sides are computed and one is
 * selected, so gcc can vectorise it (libmvec expm1 under -ffast-math). */
static inline double exprel(double x)
{
    double r = expm1(x) / x;
    return fabs(x) < 1e-16 ? 1.0 : r;
}

static inline double alpha_n(double v) { return 0.1 / exprel(-0.1 * (v + 55.0)); }
static inline double beta_n(double v) { return 0.125 * exp(-0.0125 * (v + 65.0)); }
static inline double alpha_m(double v) { return 1.0 / exprel(-0.1 * (v + 40.0)); }
static inline double beta_m(double v) { return 4.0 * exp(-0.0556 * (v + 65.0)); }
static inline double alpha_h(double v) { return 0.07 * exp(-0.05 * (v + 65.0)); }
static inline double beta_h(double v) { return 1.0 / (1.0 + exp(-0.1 * (v + 35.0))); }

#ifdef HH_RK4
/* Right-hand side of the four equations. */
static inline void rhs(double v, double m, double h, double n, double I,
                       double *dv, double *dm, double *dh, double *dn)
{
    double m3h = m * m * m * h, n4 = (n * n) * (n * n);
    *dv = (G_L * (E_L - v) + G_K * n4 * (E_K - v) + G_NA * m3h * (E_NA - v) + I) / C_M;
    *dm = alpha_m(v) * (1.0 - m) - beta_m(v) * m;
    *dh = alpha_h(v) * (1.0 - h) - beta_h(v) * h;
    *dn = alpha_n(v) * (1.0 - n) - beta_n(v) * n;
}
#endif

/* One time step for neurons lo..hi-1; returns the number of spikes.  A
 * separate function with restrict pointers so that gcc vectorises it. */
static long step_block(long lo, long hi, double *restrict v, double *restrict m,
                       double *restrict h, double *restrict n,
                       const double *restrict I, int *restrict above)
{
    long count = 0;
    for (long i = lo; i < hi; i++) {
        const double V = v[i], M = m[i], H = h[i], Nn = n[i];
#ifndef HH_RK4
        const double an = alpha_n(V), bn = beta_n(V);
        const double am = alpha_m(V), bm = beta_m(V);
        const double ah = alpha_h(V), bh = beta_h(V);
        const double m3h = M * M * M * H, n4 = (Nn * Nn) * (Nn * Nn);
        /* dv/dt = A_v v + B_v */
        const double A_v = -(G_L + G_K * n4 + G_NA * m3h) / C_M;
        const double B_v = (G_L * E_L + G_K * n4 * E_K + G_NA * m3h * E_NA + I[i]) / C_M;
        const double BA_v = B_v / A_v;
        const double BA_m = am / (-(am + bm));
        const double BA_h = ah / (-(ah + bh));
        const double BA_n = an / (-(an + bn));
        const double Vn = -BA_v + (V + BA_v) * exp(A_v * DT);
        m[i] = -BA_m + (M + BA_m) * exp(-(am + bm) * DT);
        h[i] = -BA_h + (H + BA_h) * exp(-(ah + bh) * DT);
        n[i] = -BA_n + (Nn + BA_n) * exp(-(an + bn) * DT);
#else
        double k1v, k1m, k1h, k1n, k2v, k2m, k2h, k2n;
        double k3v, k3m, k3h, k3n, k4v, k4m, k4h, k4n;
        const double Ii = I[i];
        rhs(V, M, H, Nn, Ii, &k1v, &k1m, &k1h, &k1n);
        rhs(V + 0.5 * DT * k1v, M + 0.5 * DT * k1m, H + 0.5 * DT * k1h,
            Nn + 0.5 * DT * k1n, Ii, &k2v, &k2m, &k2h, &k2n);
        rhs(V + 0.5 * DT * k2v, M + 0.5 * DT * k2m, H + 0.5 * DT * k2h,
            Nn + 0.5 * DT * k2n, Ii, &k3v, &k3m, &k3h, &k3n);
        rhs(V + DT * k3v, M + DT * k3m, H + DT * k3h, Nn + DT * k3n, Ii,
            &k4v, &k4m, &k4h, &k4n);
        const double Vn = V + DT / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        m[i] = M + DT / 6.0 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m);
        h[i] = H + DT / 6.0 * (k1h + 2.0 * k2h + 2.0 * k3h + k4h);
        n[i] = Nn + DT / 6.0 * (k1n + 2.0 * k2n + 2.0 * k3n + k4n);
#endif
        v[i] = Vn;
        const int up = Vn > V_TH;
        count += up & !above[i];
        above[i] = up;
    }
    return count;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s N STEPS [THREADS]\n", argv[0]);
        return 2;
    }
    const long N = atol(argv[1]);
    const long steps = atol(argv[2]);
    int threads = argc > 3 ? atoi(argv[3]) : 1;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    threads = 1;
#endif

    double *restrict v = malloc(N * sizeof(double));
    double *restrict m = malloc(N * sizeof(double));
    double *restrict h = malloc(N * sizeof(double));
    double *restrict n = malloc(N * sizeof(double));
    double *restrict I = malloc(N * sizeof(double));
    int *restrict above = malloc(N * sizeof(int));
    if (!v || !m || !h || !n || !I || !above) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    const double v0 = -65.0;
    const double m0 = alpha_m(v0) / (alpha_m(v0) + beta_m(v0));
    const double h0 = alpha_h(v0) / (alpha_h(v0) + beta_h(v0));
    const double n0 = alpha_n(v0) / (alpha_n(v0) + beta_n(v0));
    /* first touch by the thread that will own the element (static blocks) */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) {
        v[i] = v0;
        m[i] = m0;
        h[i] = h0;
        n[i] = n0;
        I[i] = (double)i / (double)N * I_MAX;
        above[i] = 0;
    }

    long spikes = 0;
    const double t0 = now_s();
#pragma omp parallel reduction(+ : spikes)
    {
        /* the same static partition as the first touch above */
        long lo = 0, hi = N;
#ifdef _OPENMP
        const long nt = omp_get_num_threads(), id = omp_get_thread_num();
        const long chunk = (N + nt - 1) / nt;
        lo = id * chunk < N ? id * chunk : N;
        hi = lo + chunk < N ? lo + chunk : N;
#endif
        for (long s = 0; s < steps; s++) {
            spikes += step_block(lo, hi, v, m, h, n, I, above);
#pragma omp barrier
        }
    }
    const double elapsed = now_s() - t0;

    double vsum = 0.0;
    for (long i = 0; i < N; i++)
        vsum += v[i];
#ifdef HH_RK4
    const char *method = "rk4";
#else
    const char *method = "exponential_euler";
#endif
    printf("{\"impl\": \"c_loop\", \"method\": \"%s\", \"N\": %ld, \"steps\": %ld, "
           "\"threads\": %d, \"elapsed_s\": %.9g, \"ns_per_neuron_step\": %.6g, "
           "\"spikes\": %ld, \"v_mean_end\": %.17g}\n",
           method, N, steps, threads, elapsed, 1e9 * elapsed / ((double)N * steps),
           spikes, vsum / N);
    free(v); free(m); free(h); free(n); free(I); free(above);
    return 0;
}
