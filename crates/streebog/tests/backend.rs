//! The SIMD path is the one chosen wherever the CPU can run it.

use rsmev_streebog::{Backend, Streebog256, Streebog512};

#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_selected_when_available() {
    let capable = std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vbmi")
        && std::is_x86_feature_detected!("gfni");
    if !capable {
        eprintln!("skipped: this CPU lacks AVX-512F/BW/VBMI or GFNI; the scalar path is used");
        assert_eq!(Backend::detected(), Backend::Scalar);
        assert_eq!(Streebog256::new().backend(), Backend::Scalar);
        return;
    }
    assert_eq!(Backend::detected(), Backend::Avx512Gfni);
    assert_eq!(Streebog256::new().backend(), Backend::Avx512Gfni);
    assert_eq!(Streebog512::default().backend(), Backend::Avx512Gfni);
}

#[test]
fn scalar_can_be_forced() {
    assert_eq!(Streebog256::new_scalar().backend(), Backend::Scalar);
    assert_eq!(Streebog512::new_scalar().backend(), Backend::Scalar);
}
