//! Loading the ONNX models of the face engine v2 (YuNet, SFace): the fp32
//! graph both runtimes run ([`crate::runtime`]), and tract's plan.
//!
//! SFace ships int8 block-quantized: every weight is an int8 constant behind
//! a `DequantizeLinear` with a `block_size` (opset 21), which tract does not
//! run. [`fold_constant_dequantize`] turns each `DequantizeLinear` whose
//! inputs are all initializers into one fp32 initializer,
//! `y = (x - zero_point) * scale` with one scale per block of `block_size`
//! values along `axis` (or per axis / per tensor without blocks), exactly
//! the arithmetic the op defines, so the graph tract runs computes what
//! OpenCV computes from the shipped file. Nothing else in the graph changes.

use tract_onnx::pb;
use tract_onnx::prelude::{
    DatumType, Framework, InferenceFact, InferenceModel, InferenceModelExt, IntoRunnable,
};

use crate::error::FaceError;
use crate::tflite::RunnableTract;
use dayfusion_models::ModelId;

/// ONNX `TensorProto.DataType` values this crate reads or writes.
pub(crate) const FLOAT: i32 = 1;
const UINT8: i32 = 2;
const INT8: i32 = 3;

/// Why an ONNX model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The bytes are not a well-formed ONNX model, or a constant is not what
    /// its op says.
    #[error("malformed ONNX model: {0}")]
    Malformed(String),
    /// tract refused the (folded) graph.
    #[error("tract could not load the model: {0}")]
    Tract(String),
}

fn malformed(message: impl Into<String>) -> OnnxError {
    OnnxError::Malformed(message.into())
}

/// Parses `bytes`, folds constant `DequantizeLinear` ops, fixes the input
/// to `input_shape` (f32) and returns the optimised, runnable plan.
pub fn load_onnx(bytes: &[u8], input_shape: &[usize]) -> Result<RunnableTract, OnnxError> {
    let model = load_onnx_inference(bytes, input_shape)?;
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(|e| OnnxError::Tract(format!("{e:#}")))
}

/// Parses `bytes` and folds its constant `DequantizeLinear` ops: the plain
/// fp32 graph both runtimes run.
pub fn fold_to_fp32(bytes: &[u8]) -> Result<pb::ModelProto, OnnxError> {
    parse_and_fold(bytes).map(|(proto, _)| proto)
}

/// The graph ONNX Runtime loads: the folded fp32 graph with its
/// initializers constant ([`initializers_as_constants`]) and its `PRelu`s
/// expanded ([`crate::prelu`]), re-encoded; `bytes` as they are when none
/// of that changes anything (YuNet).
pub fn graph_for_runtime(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, OnnxError> {
    use prost::Message;
    let (mut proto, folded) = parse_and_fold(bytes)?;
    let ir_version = proto.ir_version;
    let graph = proto
        .graph
        .as_mut()
        .ok_or_else(|| malformed("the model has no graph"))?;
    // IR version 3 and older require every initializer to be an input
    // (and the PRelu rewrite adds initializers): such a model is left as
    // folded.
    let rewritten = if ir_version >= 4 {
        initializers_as_constants(graph) + crate::prelu::expand_prelu(graph)
    } else {
        0
    };
    match folded + rewritten {
        0 => Ok(std::borrow::Cow::Borrowed(bytes)),
        _ => Ok(std::borrow::Cow::Owned(proto.encode_to_vec())),
    }
}

/// Drops the graph inputs that name an initializer; returns how many. An
/// IR version 4+ runtime takes such an input as a default the caller may
/// override, so ONNX Runtime folds none of them: SFace's file lists every
/// batch-norm parameter and PRelu slope that way, and its 29 batch norms
/// then ran on their own (1.3 ms a run) instead of folding into the
/// convolutions, which also kept the rest from fusing (17 ms a run instead
/// of 11, with the `PRelu` rewrite). Only the image is ever fed. (IR
/// version 3 and older require the listing; such a model keeps it.)
fn initializers_as_constants(graph: &mut pb::GraphProto) -> usize {
    let constants: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let before = graph.input.len();
    graph.input.retain(|i| !constants.contains(i.name.as_str()));
    before - graph.input.len()
}

/// The parsed model with its constant `DequantizeLinear` ops folded, and
/// how many were.
fn parse_and_fold(bytes: &[u8]) -> Result<(pb::ModelProto, usize), OnnxError> {
    let mut proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &*bytes)
        .map_err(|e| malformed(format!("{e:#}")))?;
    let folded = fold_constant_dequantize(&mut proto)?;
    Ok((proto, folded))
}

/// [`load_onnx`] up to tract's inference model (before optimisation).
pub fn load_onnx_inference(
    bytes: &[u8],
    input_shape: &[usize],
) -> Result<InferenceModel, OnnxError> {
    let onnx = tract_onnx::onnx();
    let proto = fold_to_fp32(bytes)?;
    let model = onnx
        .model_for_proto_model(&proto)
        .map_err(|e| OnnxError::Tract(format!("{e:#}")))?;
    let fact = InferenceFact::dt_shape(DatumType::F32, input_shape);
    model
        .with_input_fact(0, fact)
        .map_err(|e| OnnxError::Tract(format!("{e:#}")))
}

pub(crate) fn load_model(
    model: ModelId,
    bytes: &[u8],
    input_shape: &[usize],
) -> Result<RunnableTract, FaceError> {
    load_onnx(bytes, input_shape).map_err(|source| FaceError::OnnxLoad { model, source })
}

/// Replaces every `DequantizeLinear` of initializers by its fp32 result;
/// returns how many were folded.
pub fn fold_constant_dequantize(proto: &mut pb::ModelProto) -> Result<usize, OnnxError> {
    let graph = proto
        .graph
        .as_mut()
        .ok_or_else(|| malformed("the model has no graph"))?;
    let mut folded = 0;
    let mut kept = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        if node.op_type != "DequantizeLinear" || node.domain.as_str() != "" {
            kept.push(node);
            continue;
        }
        let constant = |i: usize| {
            node.input
                .get(i)
                .filter(|name| !name.is_empty())
                .and_then(|name| graph.initializer.iter().find(|t| &t.name == name))
        };
        let (Some(x), Some(scale)) = (constant(0), constant(1)) else {
            kept.push(node);
            continue;
        };
        let zero_point = match node.input.get(2).filter(|n| !n.is_empty()) {
            Some(_) => match constant(2) {
                Some(t) => Some(t),
                None => {
                    kept.push(node);
                    continue;
                }
            },
            None => None,
        };
        let output = node
            .output
            .first()
            .ok_or_else(|| malformed("DequantizeLinear without an output"))?
            .clone();
        let axis = int_attribute(&node, "axis").unwrap_or(1);
        let block_size = int_attribute(&node, "block_size").unwrap_or(0);
        let values = dequantize(x, scale, zero_point, axis, block_size)
            .map_err(|e| malformed(format!("DequantizeLinear {output}: {e}")))?;
        graph.initializer.push(pb::TensorProto {
            name: output,
            dims: x.dims.clone(),
            data_type: FLOAT,
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        folded += 1;
    }
    graph.node = kept;
    // The quantized constants are now unused: drop them (and their graph
    // input entries, which IR version 3 models list) to save memory.
    let used: std::collections::HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(graph.output.iter().map(|o| o.name.as_str()))
        .collect();
    let unused: std::collections::HashSet<String> = graph
        .initializer
        .iter()
        .filter(|t| !used.contains(t.name.as_str()))
        .map(|t| t.name.clone())
        .collect();
    graph.initializer.retain(|t| !unused.contains(&t.name));
    // Graph inputs no node reads are dropped too: the quantizer that made
    // SFace's file left the original fp32 weights' names as inputs without
    // data (OpenCV ignores them; tract would ask for them at run time).
    graph.input.retain(|i| used.contains(i.name.as_str()));
    Ok(folded)
}

fn int_attribute(node: &pb::NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

/// `(x - zero_point) * scale` as `DequantizeLinear` defines it (opset 10 to
/// 21): a scalar scale, one per index of `axis`, or one per block of
/// `block_size` along `axis`.
fn dequantize(
    x: &pb::TensorProto,
    scale: &pb::TensorProto,
    zero_point: Option<&pb::TensorProto>,
    axis: i64,
    block_size: i64,
) -> Result<Vec<f32>, String> {
    let dims: Vec<usize> = x
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("negative dimension {d}")))
        .collect::<Result<_, _>>()?;
    let count: usize = dims.iter().product();
    let values = integers(x, count)?;
    let scales = float_values(scale).map_err(|e| format!("scale {e}"))?;
    let zeros = match zero_point {
        Some(z) => integers(z, scales.len())?,
        None => vec![0; scales.len()],
    };
    if zeros.len() != scales.len() {
        return Err("zero point and scale differ in size".to_owned());
    }
    let rank = dims.len();
    let axis = if axis < 0 { axis + rank as i64 } else { axis };
    // Per tensor: one scale for everything.
    if scales.len() == 1 {
        return Ok(values
            .iter()
            .map(|&v| (v - zeros[0]) as f32 * scales[0])
            .collect());
    }
    let axis = usize::try_from(axis)
        .ok()
        .filter(|&a| a < rank)
        .ok_or_else(|| format!("axis out of range for rank {rank}"))?;
    // Elements after `axis` (its stride) and the axis length.
    let inner: usize = dims[axis + 1..].iter().product();
    let along = dims[axis];
    let block = if block_size > 0 {
        usize::try_from(block_size).map_err(|_| "bad block size".to_owned())?
    } else {
        along.max(1)
    };
    let blocks = if block_size > 0 {
        along.div_ceil(block)
    } else {
        along
    };
    let per_axis = block_size <= 0;
    let outer = count / (along * inner).max(1);
    let expected = if per_axis {
        along
    } else {
        outer * blocks * inner
    };
    if scales.len() != expected {
        return Err(format!(
            "{} scales for shape {dims:?}, axis {axis}, block size {block_size}",
            scales.len()
        ));
    }
    let out = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let outer = i / (along * inner);
            let a = (i / inner) % along;
            let rest = i % inner;
            let s = if per_axis {
                a
            } else {
                (outer * blocks + a / block) * inner + rest
            };
            (v - zeros[s]) as f32 * scales[s]
        })
        .collect();
    Ok(out)
}

/// An int8 or uint8 tensor's values (raw bytes or `int32_data`).
fn integers(t: &pb::TensorProto, expected: usize) -> Result<Vec<i32>, String> {
    let values: Vec<i32> = match (t.data_type, t.raw_data.is_empty()) {
        (INT8, false) => t.raw_data.iter().map(|&b| i32::from(b as i8)).collect(),
        (UINT8, false) => t.raw_data.iter().map(|&b| i32::from(b)).collect(),
        (INT8 | UINT8, true) => t.int32_data.clone(),
        (other, _) => return Err(format!("quantized type {other} is not int8 or uint8")),
    };
    if values.len() != expected {
        return Err(format!(
            "{} values where {expected} were expected",
            values.len()
        ));
    }
    Ok(values)
}

/// A float tensor's values (raw little-endian bytes or `float_data`).
pub(crate) fn float_values(t: &pb::TensorProto) -> Result<Vec<f32>, String> {
    if t.data_type != FLOAT {
        return Err(format!("type {} is not float", t.data_type));
    }
    if t.raw_data.is_empty() {
        return Ok(t.float_data.clone());
    }
    if !t.raw_data.len().is_multiple_of(4) {
        return Err("float data is not a whole number of values".to_owned());
    }
    Ok(t.raw_data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[i64], data_type: i32, raw: Vec<u8>) -> pb::TensorProto {
        pb::TensorProto {
            name: name.to_owned(),
            dims: dims.to_vec(),
            data_type,
            raw_data: raw,
            ..Default::default()
        }
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn block_dequantize_uses_one_scale_per_block_along_the_axis() -> Result<(), String> {
        // Shape [2, 4], axis 1, blocks of 2: scales [2, 2].
        let x = tensor(
            "x",
            &[2, 4],
            INT8,
            [1i8, 2, 3, 4, -1, -2, -3, -4].map(|v| v as u8).to_vec(),
        );
        let scale = tensor("s", &[2, 2], FLOAT, f32_bytes(&[1.0, 10.0, 100.0, 1000.0]));
        let zero = tensor("z", &[2, 2], INT8, vec![0, 1, 0, 0]);
        let y = dequantize(&x, &scale, Some(&zero), 1, 2)?;
        assert_eq!(y, [1.0, 2.0, 20.0, 30.0, -100.0, -200.0, -3000.0, -4000.0]);
        // Blocks along axis 0 of a [4, 1] tensor, block 3: scales [2, 1].
        let x = tensor("x", &[4, 1], INT8, vec![1, 1, 1, 1]);
        let scale = tensor("s", &[2, 1], FLOAT, f32_bytes(&[2.0, 5.0]));
        assert_eq!(dequantize(&x, &scale, None, 0, 3)?, [2.0, 2.0, 2.0, 5.0]);
        Ok(())
    }

    #[test]
    fn per_axis_and_per_tensor_scales() -> Result<(), String> {
        let x = tensor("x", &[2, 2], UINT8, vec![10, 20, 30, 40]);
        let per_axis = tensor("s", &[2], FLOAT, f32_bytes(&[0.5, 2.0]));
        let zero = tensor("z", &[2], UINT8, vec![10, 0]);
        assert_eq!(
            dequantize(&x, &per_axis, Some(&zero), 1, 0)?,
            [0.0, 40.0, 10.0, 80.0]
        );
        let scalar = tensor("s", &[], FLOAT, f32_bytes(&[0.25]));
        assert_eq!(dequantize(&x, &scalar, None, 1, 0)?, [2.5, 5.0, 7.5, 10.0]);
        Ok(())
    }

    #[test]
    fn initializers_listed_as_inputs_become_constants() {
        let input = |name: &str| pb::ValueInfoProto {
            name: name.to_owned(),
            ..Default::default()
        };
        let mut graph = pb::GraphProto {
            input: vec![input("data"), input("gamma"), input("slope")],
            initializer: vec![
                tensor("gamma", &[1], FLOAT, f32_bytes(&[1.0])),
                tensor("slope", &[1], FLOAT, f32_bytes(&[0.5])),
            ],
            ..Default::default()
        };
        assert_eq!(initializers_as_constants(&mut graph), 2);
        let inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(inputs, ["data"]);
        assert_eq!(graph.initializer.len(), 2, "the values stay");
        assert_eq!(initializers_as_constants(&mut graph), 0);
    }

    #[test]
    fn malformed_constants_are_refused() {
        let x = tensor("x", &[2, 2], INT8, vec![1, 2, 3]);
        let scale = tensor("s", &[], FLOAT, f32_bytes(&[1.0]));
        assert!(
            dequantize(&x, &scale, None, 1, 0).is_err(),
            "too few values"
        );
        let x = tensor("x", &[2, 2], FLOAT, f32_bytes(&[1.0; 4]));
        assert!(dequantize(&x, &scale, None, 1, 0).is_err(), "not integers");
        let x = tensor("x", &[2, 4], INT8, vec![0; 8]);
        let scale = tensor("s", &[3], FLOAT, f32_bytes(&[1.0; 3]));
        assert!(
            dequantize(&x, &scale, None, 1, 2).is_err(),
            "wrong scale count"
        );
        assert!(load_onnx(b"not a model", &[1, 3, 4, 4]).is_err());
    }
}
