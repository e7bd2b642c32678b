/*
 * shap_kernel.cl: path-dependent TreeSHAP (Lundberg et al. 2018, Algorithm
 * 2), step for step the CPU code of engine/explain/treeshap.go, for one
 * row per work-item (OpenCL) or thread (CUDA: cuda/tree_shap.cu includes
 * this file). The recursion of treeShap becomes a loop over an explicit
 * stack of at most MAX_DEPTH frames; the unique path of every frame lives
 * in one private buffer of PATH_LEN elements laid out as the CPU's (each
 * frame starts depth+1 elements after its parent's). Every arithmetic
 * expression keeps the CPU's operand order and the reciprocals come from
 * the host's table, and contraction into FMA is off, so in double (REAL =
 * double) the contributions agree with the CPU's to the last bits.
 *
 * The including code defines: REAL (double or float), MAX_DEPTH, KERNEL,
 * GLOBAL, ROW_ID(), U64, KERNEL_NAME.
 *
 * Forest layout (engine/explain.Flat, struct of arrays, trees
 * concatenated, child indices global): left/right, feature, meta (kind |
 * flags << 8), cat (categorical splits: set index), threshold, value,
 * cover; per tree roots and groups; per category set its words' offset
 * and count in cat_words (64-bit).
 */
#define PATH_LEN (((MAX_DEPTH) + 2) * ((MAX_DEPTH) + 3) / 2)

#define K_LEAF    0
#define K_XGB     1
#define K_XGB_CAT 2
#define K_LGB     3
#define K_LGB_CAT 4

#define F_DEFAULT_LEFT 1
#define F_MISSING_ZERO 2
#define F_MISSING_NAN  4

#define LGB_ZERO_THRESHOLD 1e-35
#define MAX_CATEGORY 16777216.0f

KERNEL void KERNEL_NAME(
    GLOBAL const REAL* x, const int rows, const int cols,
    GLOBAL const int* left, GLOBAL const int* right, GLOBAL const int* feature,
    GLOBAL const int* meta, GLOBAL const int* cat,
    GLOBAL const REAL* threshold, GLOBAL const REAL* value, GLOBAL const REAL* cover,
    GLOBAL const int* roots, GLOBAL const int* groups, const int ntrees, const int ngroups,
    GLOBAL const unsigned int* cat_off, GLOBAL const unsigned int* cat_len, GLOBAL const U64* cat_words,
    GLOBAL const REAL* bias, GLOBAL const REAL* recip,
    GLOBAL REAL* out)
{
    const int r = ROW_ID();
    if (r >= rows) return;
    GLOBAL const REAL* row = x + (long)r * (long)cols;
    const int stride = cols + 1;
    GLOBAL REAL* o = out + (long)r * (long)(ngroups * stride);
    for (int k = 0; k < ngroups * stride; k++) o[k] = (REAL)0;

    /* The unique paths of all live frames. */
    int pf[PATH_LEN];
    REAL pz[PATH_LEN], po[PATH_LEN], pw[PATH_LEN];
    /* One frame per split on the current root-to-node path. */
    int st_off[MAX_DEPTH], st_depth[MAX_DEPTH], st_cold[MAX_DEPTH], st_feat[MAX_DEPTH], st_done[MAX_DEPTH];
    REAL st_coldz[MAX_DEPTH];

    for (int t = 0; t < ntrees; t++) {
        int node = roots[t];
        if ((meta[node] & 0xff) == K_LEAF) continue; /* a stump only moves the bias */
        GLOBAL REAL* phi = o + groups[t] * stride;
        int sp = 0;
        /* The call treeShap(node, parent = path at poff, depth, pz0, po0, pf0). */
        int poff = 0, depth = 0, pfeat = -1;
        REAL pzero = (REAL)1, pone = (REAL)1;
        for (;;) {
            const int off = poff + depth + 1;
            for (int k = 0; k <= depth; k++) {
                pf[off + k] = pf[poff + k]; pz[off + k] = pz[poff + k];
                po[off + k] = po[poff + k]; pw[off + k] = pw[poff + k];
            }
            /* extendPath(path, depth, pzero, pone, pfeat) */
            pf[off + depth] = pfeat; pz[off + depth] = pzero; po[off + depth] = pone;
            pw[off + depth] = depth == 0 ? (REAL)1 : (REAL)0;
            if (depth > 0) {
                const REAL inv = recip[depth + 1];
                for (int i = depth - 1; i >= 0; i--) {
                    const REAL w = pw[off + i] * inv;
                    pw[off + i + 1] += pone * w * (REAL)(i + 1);
                    pw[off + i] = pzero * w * (REAL)(depth - i);
                }
            }
            const int m = meta[node];
            const int kind = m & 0xff;
            if (kind == K_LEAF) {
                const REAL leaf = value[node];
                REAL cold_sum = (REAL)-1;
                for (int k = 1; k <= depth; k++) {
                    const int e = off + k;
                    REAL w = (REAL)0;
                    if (po[e] != (REAL)0) {
                        /* unwoundPathSum(path, depth, k), one != 0 */
                        REAL next = pw[off + depth];
                        const REAL scale = (REAL)(depth + 1) / po[e];
                        const REAL zs = pz[e] * recip[depth + 1];
                        for (int i = depth - 1; i >= 0; i--) {
                            const REAL tmp = next * scale * recip[i + 1];
                            w += tmp;
                            next = pw[off + i] - tmp * zs * (REAL)(depth - i);
                        }
                    } else if (pz[e] != (REAL)0) {
                        if (cold_sum < (REAL)0) {
                            cold_sum = (REAL)0;
                            for (int i = depth - 1; i >= 0; i--) cold_sum += pw[off + i] * recip[depth - i];
                        }
                        w = cold_sum * (REAL)(depth + 1) / pz[e];
                    }
                    phi[pf[e]] += w * (po[e] - pz[e]) * leaf;
                }
                /* Return: resume the innermost split whose cold child is still to do. */
                while (sp > 0 && st_done[sp - 1]) sp--;
                if (sp == 0) break;
                st_done[sp - 1] = 1;
                node = st_cold[sp - 1]; poff = st_off[sp - 1]; depth = st_depth[sp - 1] + 1;
                pzero = st_coldz[sp - 1]; pone = (REAL)0; pfeat = st_feat[sp - 1];
                continue;
            }

            /* Which way the row goes (engine/explain's goesLeft). */
            const int flags = m >> 8;
            const int f = feature[node];
            REAL xv = row[f];
            int go_left;
            if (kind == K_XGB) {
                go_left = isnan(xv) ? (flags & F_DEFAULT_LEFT) != 0 : (REAL)(float)xv < threshold[node];
            } else if (kind == K_XGB_CAT) {
                const float v = (float)xv;
                if (isnan(v)) {
                    go_left = (flags & F_DEFAULT_LEFT) != 0;
                } else {
                    go_left = 1;
                    if (v >= 0.0f && v < MAX_CATEGORY) {
                        const unsigned int c = (unsigned int)v;
                        const int s = cat[node];
                        const unsigned int w = c / 64u;
                        if (w < cat_len[s] && ((cat_words[cat_off[s] + w] >> (c % 64u)) & 1)) go_left = 0;
                    }
                }
            } else if (kind == K_LGB) {
                if (isnan(xv) && (flags & F_MISSING_NAN) == 0) xv = (REAL)0;
                if (((flags & F_MISSING_ZERO) && xv > (REAL)-LGB_ZERO_THRESHOLD && xv <= (REAL)LGB_ZERO_THRESHOLD) ||
                    ((flags & F_MISSING_NAN) && isnan(xv))) {
                    go_left = (flags & F_DEFAULT_LEFT) != 0;
                } else {
                    go_left = xv <= threshold[node];
                }
            } else { /* K_LGB_CAT: category in set → left; NaN, negative, too large → right */
                go_left = 0;
                if (!isnan(xv) && xv > (REAL)-1 && xv < (REAL)2147483648.0) {
                    const unsigned int c = (unsigned int)(int)xv;
                    const int s = cat[node];
                    const unsigned int w = c / 64u;
                    go_left = w < cat_len[s] && ((cat_words[cat_off[s] + w] >> (c % 64u)) & 1);
                }
            }
            int hot = left[node], cold = right[node];
            if (!go_left) { hot = right[node]; cold = left[node]; }
            const REAL hot_zero = cover[hot] / cover[node];
            const REAL cold_zero = cover[cold] / cover[node];
            REAL in_zero = (REAL)1, in_one = (REAL)1;

            /* A feature split on before: undo its element so this split redoes it. */
            int k = 0;
            for (; k <= depth; k++) if (pf[off + k] == f) break;
            if (k != depth + 1) {
                in_zero = pz[off + k]; in_one = po[off + k];
                /* unwindPath(path, depth, k) */
                REAL next = pw[off + depth];
                const REAL d1 = (REAL)(depth + 1);
                if (in_one != (REAL)0) {
                    const REAL scale = d1 / in_one;
                    const REAL inv = recip[depth + 1];
                    for (int i = depth - 1; i >= 0; i--) {
                        const REAL tmp = pw[off + i];
                        pw[off + i] = next * scale * recip[i + 1];
                        next = tmp - pw[off + i] * in_zero * (REAL)(depth - i) * inv;
                    }
                } else {
                    const REAL scale = d1 / in_zero;
                    for (int i = depth - 1; i >= 0; i--) pw[off + i] *= scale * recip[depth - i];
                }
                for (int i = k; i < depth; i++) {
                    pf[off + i] = pf[off + i + 1]; pz[off + i] = pz[off + i + 1]; po[off + i] = po[off + i + 1];
                }
                depth--;
            }
            st_off[sp] = off; st_depth[sp] = depth; st_cold[sp] = cold; st_feat[sp] = f; st_done[sp] = 0;
            st_coldz[sp] = cold_zero * in_zero;
            sp++;
            node = hot; poff = off; depth = depth + 1;
            pzero = hot_zero * in_zero; pone = in_one; pfeat = f;
        }
    }
    for (int g = 0; g < ngroups; g++) o[g * stride + cols] = bias[g];
}
