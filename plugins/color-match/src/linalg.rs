//! 3×3 matrix helpers for the covariance methods (f64).

/// A 3×3 matrix, row major.
pub type Mat3 = [[f64; 3]; 3];

pub fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

pub fn mul_vec(a: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| a[i][0] * v[0] + a[i][1] * v[1] + a[i][2] * v[2])
}

pub fn diag(d: [f64; 3]) -> Mat3 {
    [[d[0], 0.0, 0.0], [0.0, d[1], 0.0], [0.0, 0.0, d[2]]]
}

fn transpose(a: &Mat3) -> Mat3 {
    [0, 1, 2].map(|i| [a[0][i], a[1][i], a[2][i]])
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: (eigenvalues,
/// eigenvectors as columns).
pub fn symmetric_eigen(a: &Mat3) -> ([f64; 3], Mat3) {
    let mut a = *a;
    let mut v = diag([1.0; 3]);
    for _ in 0..50 {
        let off = a[0][1].powi(2) + a[0][2].powi(2) + a[1][2].powi(2);
        if off < 1e-30 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q].abs() < 1e-300 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            let mut rot = diag([1.0; 3]);
            rot[p][p] = c;
            rot[q][q] = c;
            rot[p][q] = s;
            rot[q][p] = -s;
            a = mul(&transpose(&rot), &mul(&a, &rot));
            v = mul(&v, &rot);
        }
    }
    ([a[0][0], a[1][1], a[2][2]], v)
}

/// `f` applied to the eigenvalues of a symmetric matrix (eigenvalues floored at `floor`).
pub fn symmetric_fn(a: &Mat3, floor: f64, f: impl Fn(f64) -> f64) -> Mat3 {
    let (vals, vecs) = symmetric_eigen(a);
    let d = diag(vals.map(|x| f(x.max(floor))));
    mul(&vecs, &mul(&d, &transpose(&vecs)))
}

/// The Monge–Kantorovich linear map taking covariance `a` to covariance `b`:
/// `A^-1/2 (A^1/2 B A^1/2)^1/2 A^-1/2` (Pitié and Kokaram, 2007).
pub fn mkl(a: &Mat3, b: &Mat3, floor: f64) -> Mat3 {
    let a_half = symmetric_fn(a, floor, f64::sqrt);
    let a_inv_half = symmetric_fn(a, floor, |x| 1.0 / x.sqrt());
    let middle = mul(&a_half, &mul(b, &a_half));
    let middle = symmetrize(&middle);
    let middle_half = symmetric_fn(&middle, floor * floor, f64::sqrt);
    mul(&a_inv_half, &mul(&middle_half, &a_inv_half))
}

fn symmetrize(a: &Mat3) -> Mat3 {
    let mut m = *a;
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = 0.5 * (a[i][j] + a[j][i]);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Mat3, b: &Mat3, tol: f64) -> bool {
        (0..3).all(|i| (0..3).all(|j| (a[i][j] - b[i][j]).abs() < tol))
    }

    #[test]
    fn mkl_maps_one_covariance_onto_the_other() {
        let a = [
            [0.04, 0.01, 0.005],
            [0.01, 0.03, 0.002],
            [0.005, 0.002, 0.02],
        ];
        let b = [
            [0.02, -0.004, 0.001],
            [-0.004, 0.05, 0.01],
            [0.001, 0.01, 0.03],
        ];
        let t = mkl(&a, &b, 1e-12);
        let mapped = mul(&t, &mul(&a, &transpose(&t)));
        assert!(close(&mapped, &b, 1e-9), "{mapped:?}");
        assert!(close(&t, &transpose(&t), 1e-9), "the map is symmetric");
        assert!(close(&mkl(&a, &a, 1e-12), &diag([1.0; 3]), 1e-9));
    }
}
