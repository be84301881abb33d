//! `PRelu` in the form ONNX Runtime runs fast.
//!
//! ONNX Runtime's CPU `PRelu` kernel broadcasts a per-channel slope one
//! element at a time and keeps the graph out of its blocked (NCHWc)
//! convolution layout: on one core it took 14 of SFace's 27 ms, more than
//! every convolution together. [`expand_prelu`] writes each `PRelu` whose
//! slope is a constant as `slope * x + (1 - slope) * Relu(x)`, the same
//! function (x for x > 0, slope * x otherwise) in ops the runtime fuses
//! into its convolutions (SFace: 27 ms a run before, 17 ms after; 11 ms
//! once its batch norms fold too, see `onnx.rs`). The results differ
//! from `PRelu`'s only by rounding (under 1e-6 on SFace's embedding).
//! The slopes may be any value (SFace's lie between -0.81 and 1.12), so
//! `Max(x, slope * x)` would not do.

use tract_onnx::pb;

use crate::onnx::{FLOAT, float_values};

/// Rewrites every `PRelu` of `graph` whose slope is an f32 initializer
/// (see the module); returns how many were rewritten. Any other `PRelu`
/// stays as it is: the rewrite only saves time, so a slope it cannot read
/// is left for the runtime to judge rather than failing the load.
pub fn expand_prelu(graph: &mut pb::GraphProto) -> usize {
    let mut expanded = 0;
    let mut nodes = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        let constant_slope = (node.op_type == "PRelu" && node.domain.is_empty())
            .then(|| node.input.get(1))
            .flatten()
            .and_then(|name| graph.initializer.iter().find(|t| &t.name == name));
        let (Some(slope), [x, _], [y]) = (
            constant_slope,
            node.input.as_slice(),
            node.output.as_slice(),
        ) else {
            nodes.push(node);
            continue;
        };
        let expected = usize::try_from(slope.dims.iter().product::<i64>()).ok();
        let Some(slopes) = float_values(slope)
            .ok()
            .filter(|v| Some(v.len()) == expected)
        else {
            nodes.push(node);
            continue;
        };
        let keep: Vec<u8> = slopes
            .iter()
            .flat_map(|a| (1.0 - a).to_le_bytes())
            .collect();
        let keep_name = format!("{y}.prelu_keep");
        let relu = format!("{y}.prelu_relu");
        let kept = format!("{y}.prelu_kept");
        let scaled = format!("{y}.prelu_scaled");
        let op = |op_type: &str, inputs: [&str; 2], output: &str| pb::NodeProto {
            name: format!("{}.{output}", node.name),
            op_type: op_type.to_owned(),
            input: inputs
                .iter()
                .filter(|i| !i.is_empty())
                .map(|&i| i.to_owned())
                .collect(),
            output: vec![output.to_owned()],
            ..Default::default()
        };
        let rewritten = [
            op("Relu", [x, ""], &relu),
            op("Mul", [&relu, &keep_name], &kept),
            op("Mul", [x, &slope.name], &scaled),
            op("Add", [&kept, &scaled], y),
        ];
        let keep = pb::TensorProto {
            name: keep_name,
            dims: slope.dims.clone(),
            data_type: FLOAT,
            raw_data: keep,
            ..Default::default()
        };
        nodes.extend(rewritten);
        graph.initializer.push(keep);
        expanded += 1;
    }
    graph.node = nodes;
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite_onnx::value_info;
    use tract_onnx::prelude::{
        DatumType, Framework, InferenceFact, InferenceModelExt, IntoRunnable, TValue, Tensor, tvec,
    };

    /// One `PRelu` of a [1, 3, 1, 2] input by per-channel slopes of
    /// either sign and above one.
    fn prelu_model() -> pb::ModelProto {
        let slope: Vec<u8> = [0.25f32, -0.5, 1.5]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        pb::ModelProto {
            ir_version: 7,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            graph: Some(pb::GraphProto {
                node: vec![pb::NodeProto {
                    name: "act".to_owned(),
                    op_type: "PRelu".to_owned(),
                    input: vec!["x".to_owned(), "slope".to_owned()],
                    output: vec!["y".to_owned()],
                    ..Default::default()
                }],
                initializer: vec![pb::TensorProto {
                    name: "slope".to_owned(),
                    dims: vec![3, 1, 1],
                    data_type: FLOAT,
                    raw_data: slope,
                    ..Default::default()
                }],
                input: vec![value_info("x", &[1, 3, 1, 2])],
                output: vec![value_info("y", &[1, 3, 1, 2])],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn run(model: &pb::ModelProto, x: &[f32]) -> Result<Vec<f32>, String> {
        let err = |e: tract_onnx::prelude::TractError| format!("{e:#}");
        let plan = tract_onnx::onnx()
            .model_for_proto_model(model)
            .map_err(err)?
            .with_input_fact(0, InferenceFact::dt_shape(DatumType::F32, [1, 3, 1, 2]))
            .map_err(err)?
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(err)?;
        let input = Tensor::from_shape(&[1, 3, 1, 2], x).map_err(err)?;
        let out = plan.run(tvec!(TValue::from(input))).map_err(err)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(err)?;
        Ok(view.iter().copied().collect())
    }

    #[test]
    fn the_expansion_computes_prelu_for_any_slope() -> Result<(), String> {
        let x = [2.0, -2.0, 3.0, -4.0, 0.5, -1.0];
        let original = prelu_model();
        let mut expanded = original.clone();
        let graph = expanded.graph.as_mut().ok_or("no graph")?;
        assert_eq!(expand_prelu(graph), 1);
        let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(ops, ["Relu", "Mul", "Mul", "Add"]);
        // x for x > 0, slope * x otherwise; slopes 0.25, -0.5, 1.5.
        let want = [2.0, -0.5, 3.0, 2.0, 0.5, -1.5];
        assert_eq!(run(&original, &x)?, want);
        assert_eq!(run(&expanded, &x)?, want);
        Ok(())
    }

    #[test]
    fn a_prelu_whose_slope_is_computed_or_unreadable_stays() -> Result<(), String> {
        let mut model = prelu_model();
        let graph = model.graph.as_mut().ok_or("no graph")?;
        graph.initializer[0].name = "computed elsewhere".to_owned();
        assert_eq!(expand_prelu(graph), 0);
        assert_eq!(graph.node.len(), 1);
        assert_eq!(graph.node[0].op_type, "PRelu");
        // A slope the rewrite cannot read (too few values for its shape)
        // is left to the runtime, not turned into a load failure.
        graph.initializer[0].name = "slope".to_owned();
        graph.initializer[0].raw_data.truncate(8);
        assert_eq!(expand_prelu(graph), 0);
        assert_eq!(graph.node[0].op_type, "PRelu");
        Ok(())
    }
}
