use vigil_inference_core::spec::ModelSpec;
#[test]
fn t() {
    let _ = core::mem::size_of::<ModelSpec>();
    let _ = vigil_inference_core::float::act_bits(1.0);
}
