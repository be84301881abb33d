//! Loading `.tflite` models into tract, with the load-time rewrites that the
//! MediaPipe models need.
//!
//! `tract-tflite` 0.23 refuses the MediaPipe BlazeFace models: they store
//! their weights as fp16 constants, each behind a `DEQUANTIZE` op that turns
//! it into f32 at run time, and tract has no `DEQUANTIZE`. [`load_tflite`]
//! folds those ops away before tract sees the model: every `DEQUANTIZE`
//! whose input is an fp16 constant becomes an f32 constant (its data is
//! appended to the flatbuffer, the tensor's type is patched in place), the
//! consumers of the op's output are pointed at that constant and the op is
//! dropped from the operator list. Nothing is re-serialised, so every other
//! table (options, quantisation, metadata) stays byte-for-byte as it was.
//!
//! This works because flatbuffer offsets only point forward: data appended at
//! the end can be referenced from anywhere before it. The patched buffer is
//! checked again by the flatbuffers verifier when tract reads it.

use std::sync::Arc;

use tract_tflite::internal::tract_core::ops::binary::TypedBinOp;
use tract_tflite::internal::tract_core::ops::math;
use tract_tflite::internal::{OutletId, SpecialOps, TypedModelPatch, tensor0};
use tract_tflite::prelude::{Framework, IntoRunnable, TypedModel, TypedRunnableModel, f16};
use tract_tflite::tflite::{
    Buffer, BuiltinOperator, Model, Operator, OperatorCode, SubGraph, Tensor as FlatTensor,
    TensorType,
};

use crate::error::FaceError;
use dayfusion_models::ModelId;

/// A tract model ready to run.
pub type RunnableTract = Arc<TypedRunnableModel>;

/// Why a `.tflite` model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TfliteError {
    /// The bytes are not a well-formed TFLite flatbuffer, or a rewrite
    /// could not be applied to them.
    #[error("malformed TFLite model: {0}")]
    Malformed(String),
    /// The model uses an op or a form [`crate::tflite_onnx`] does not
    /// translate to ONNX.
    #[error("cannot translate the model to ONNX: {0}")]
    Unsupported(String),
    /// tract could not translate, optimise or plan the model.
    #[error("tract could not load the model: {0}")]
    Tract(String),
}

/// What [`fold_fp16_dequantize`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewriteReport {
    /// `DEQUANTIZE` ops folded into f32 constants.
    pub folded_dequantize: usize,
}

/// The `PRELU` ops that [`prelu_as_maximum_placeholder`] disguised, by the
/// name of their output tensor (which becomes the tract node's name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreluPlaceholders {
    /// Output tensor names, one per `PRELU` op.
    pub names: Vec<String>,
}

/// Loads a `.tflite` model into an optimised, runnable tract plan, after
/// [`fold_fp16_dequantize`] and with `PRELU` supported (see
/// [`prelu_as_maximum_placeholder`]).
pub fn load_tflite(bytes: &[u8]) -> Result<RunnableTract, TfliteError> {
    let model = load_tflite_typed(bytes)?;
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(|e| TfliteError::Tract(format!("{e:#}")))
}

/// [`load_tflite`] for one of the model pack's models, failures reported
/// as [`FaceError::ModelLoad`] naming it.
pub(crate) fn load_model(model: ModelId, bytes: &[u8]) -> Result<RunnableTract, FaceError> {
    load_tflite(bytes).map_err(|source| FaceError::ModelLoad { model, source })
}

/// [`load_tflite`] without optimisation: the typed graph as translated.
pub fn load_tflite_typed(bytes: &[u8]) -> Result<TypedModel, TfliteError> {
    let (folded, _) = fold_fp16_dequantize(bytes)?;
    let (patched, prelu) = prelu_as_maximum_placeholder(&folded)?;
    let mut model = tract_tflite::tflite()
        .model_for_read(&mut patched.as_slice())
        .map_err(|e| TfliteError::Tract(format!("{e:#}")))?;
    wire_prelu(&mut model, &prelu)?;
    Ok(model)
}

/// `tract-tflite` has no `PRELU`, and its op registry is private. So the
/// model's `PRELU` operator code is turned into `MAXIMUM` in place (same
/// inputs `x, alpha`, no options, so tract translates it, broadcasting
/// `alpha` to the rank of `x`), and [`wire_prelu`] then replaces each of
/// those nodes in the tract graph with `max(x, 0) + alpha * min(x, 0)`.
/// Only the operator code table changes: the operators keep their tensors.
pub fn prelu_as_maximum_placeholder(
    bytes: &[u8],
) -> Result<(Vec<u8>, PreluPlaceholders), TfliteError> {
    let model = tract_tflite::tflite::root_as_model(bytes)
        .map_err(|e| TfliteError::Malformed(e.to_string()))?;
    let prelu_codes = opcode_indices(&model, BuiltinOperator::PRELU);
    let mut out = bytes.to_vec();
    let mut placeholders = PreluPlaceholders::default();
    if prelu_codes.is_empty() {
        return Ok((out, placeholders));
    }
    for graph in model.subgraphs().into_iter().flat_map(|v| v.iter()) {
        let (Some(ops), Some(tensors)) = (graph.operators(), graph.tensors()) else {
            continue;
        };
        for op in ops
            .iter()
            .filter(|op| prelu_codes.contains(&op.opcode_index()))
        {
            let inputs = op.inputs().map(|v| v.len()).unwrap_or(0);
            let output = op
                .outputs()
                .filter(|v| v.len() == 1)
                .map(|v| v.get(0))
                .ok_or_else(|| malformed("PRELU without exactly one output"))?;
            if inputs != 2 {
                return Err(malformed("PRELU without exactly two inputs"));
            }
            let name = tensors
                .get(index(output, tensors.len())?)
                .name()
                .ok_or_else(|| malformed("PRELU output without a name"))?;
            if placeholders.names.iter().any(|n| n == name) {
                return Err(malformed("two PRELU outputs share a name"));
            }
            placeholders.names.push(name.to_owned());
        }
    }
    let fb = Fb(bytes);
    let root = fb.root()?;
    let codes = fb
        .vector(root, Model::VT_OPERATOR_CODES)?
        .ok_or_else(|| malformed("model has no operator codes"))?;
    let maximum = BuiltinOperator::MAXIMUM.0;
    for &code_ix in &prelu_codes {
        let code = fb.table_at(codes.elem(index(code_ix as i32, codes.len)?))?;
        if let Some(pos) = fb.field_pos(code, OperatorCode::VT_DEPRECATED_BUILTIN_CODE)?
            && i32::from(fb.u8_at(pos)? as i8) == BuiltinOperator::PRELU.0
        {
            write_u8(&mut out, pos, maximum as u8)?;
        }
        if let Some(pos) = fb.field_pos(code, OperatorCode::VT_BUILTIN_CODE)? {
            write_u32(&mut out, pos, maximum as u32)?;
        }
    }
    let patched = tract_tflite::tflite::root_as_model(&out)
        .map_err(|e| TfliteError::Malformed(format!("after patching PRELU: {e}")))?;
    if !opcode_indices(&patched, BuiltinOperator::PRELU).is_empty() {
        return Err(malformed("a PRELU operator code could not be patched"));
    }
    Ok((out, placeholders))
}

/// Replaces each placeholder `max(x, alpha)` node with the real `PRELU`:
/// `max(x, 0) + alpha * min(x, 0)`.
pub fn wire_prelu(
    model: &mut TypedModel,
    placeholders: &PreluPlaceholders,
) -> Result<(), TfliteError> {
    for name in &placeholders.names {
        let tract = |e: tract_tflite::internal::TractError| {
            TfliteError::Tract(format!("wiring PRELU {name}: {e:#}"))
        };
        let node = model.node_by_name(name).map_err(tract)?;
        let is_max = node
            .op_as::<TypedBinOp>()
            .is_some_and(|op| op.0.name() == "Max");
        if !is_max || node.inputs.len() != 2 {
            return Err(malformed("PRELU placeholder is not a two-input MAXIMUM"));
        }
        let (node_id, x_outlet, alpha_outlet) = (node.id, node.inputs[0], node.inputs[1]);
        let rank = model.outlet_fact(x_outlet).map_err(tract)?.rank();
        let mut patch = TypedModelPatch::default();
        let x = patch.tap_model(model, x_outlet).map_err(tract)?;
        let alpha = patch.tap_model(model, alpha_outlet).map_err(tract)?;
        let zero = tensor0(0f32).broadcast_into_rank(rank).map_err(tract)?;
        let zero = patch
            .add_const(format!("{name}.zero"), zero)
            .map_err(tract)?;
        let positive = patch
            .wire_node(format!("{name}.positive"), math::max(), &[x, zero])
            .map_err(tract)?[0];
        let negative = patch
            .wire_node(format!("{name}.negative"), math::min(), &[x, zero])
            .map_err(tract)?[0];
        let scaled = patch
            .wire_node(format!("{name}.scaled"), math::mul(), &[negative, alpha])
            .map_err(tract)?[0];
        let prelu = patch
            .wire_node(format!("{name}.prelu"), math::add(), &[positive, scaled])
            .map_err(tract)?[0];
        patch
            .shunt_outside(model, OutletId::new(node_id, 0), prelu)
            .map_err(tract)?;
        patch.apply(model).map_err(tract)?;
    }
    Ok(())
}

/// Folds every `DEQUANTIZE` op whose input is an fp16 constant into an f32
/// constant, in every subgraph. Returns the patched flatbuffer; a model
/// without such ops comes back unchanged.
pub fn fold_fp16_dequantize(bytes: &[u8]) -> Result<(Vec<u8>, RewriteReport), TfliteError> {
    // The verifier guarantees the structure our raw reads rely on.
    let model = tract_tflite::tflite::root_as_model(bytes)
        .map_err(|e| TfliteError::Malformed(e.to_string()))?;
    let dequantize_codes = opcode_indices(&model, BuiltinOperator::DEQUANTIZE);
    let mut out = bytes.to_vec();
    let mut report = RewriteReport::default();
    if dequantize_codes.is_empty() {
        return Ok((out, report));
    }
    let fb = Fb(bytes);
    let root = fb.root()?;
    let buffers = fb
        .vector(root, Model::VT_BUFFERS)?
        .ok_or_else(|| malformed("model has no buffers"))?;
    let Some(subgraphs) = fb.vector(root, Model::VT_SUBGRAPHS)? else {
        return Ok((out, report));
    };
    // Buffers already converted to f32 (several DEQUANTIZE may share one input).
    let mut converted: Vec<u32> = Vec::new();
    // Tensors (table positions) retyped to f32.
    let mut retyped: Vec<usize> = Vec::new();
    for g in 0..subgraphs.len {
        let graph = fb.table_at(subgraphs.elem(g))?;
        let tensors = fb
            .vector(graph, SubGraph::VT_TENSORS)?
            .ok_or_else(|| malformed("subgraph has no tensors"))?;
        let Some(operators) = fb.vector(graph, SubGraph::VT_OPERATORS)? else {
            continue;
        };
        // (input tensor, output tensor) of each folded op, and the ops to drop.
        let mut redirects: Vec<(i32, i32)> = Vec::new();
        let mut dropped: Vec<usize> = Vec::new();
        for o in 0..operators.len {
            let op = fb.table_at(operators.elem(o))?;
            let opcode = fb.scalar_u32(op, Operator::VT_OPCODE_INDEX)?.unwrap_or(0);
            if !dequantize_codes.contains(&opcode) {
                continue;
            }
            let (Some(inputs), Some(outputs)) = (
                fb.vector(op, Operator::VT_INPUTS)?,
                fb.vector(op, Operator::VT_OUTPUTS)?,
            ) else {
                continue;
            };
            if inputs.len != 1 || outputs.len != 1 {
                continue;
            }
            let input = fb.i32_at(inputs.elem(0))?;
            let output = fb.i32_at(outputs.elem(0))?;
            let tensor = fb.table_at(tensors.elem(index(input, tensors.len)?))?;
            let type_pos = fb.field_pos(tensor, FlatTensor::VT_TYPE_)?;
            let is_fp16 = match type_pos {
                Some(pos) => fb.u8_at(pos)? == tensor_type_byte(TensorType::FLOAT16),
                None => false,
            };
            let buffer_ix = fb.scalar_u32(tensor, FlatTensor::VT_BUFFER)?.unwrap_or(0);
            if !is_fp16 || buffer_ix == 0 {
                continue; // not an fp16 constant: leave it for tract to judge
            }
            let (Some(type_pos), Some(out_tensor)) =
                (type_pos, tensors.get(index(output, tensors.len)?))
            else {
                continue;
            };
            let out_tensor = fb.table_at(out_tensor)?;
            let out_is_f32 = match fb.field_pos(out_tensor, FlatTensor::VT_TYPE_)? {
                Some(pos) => fb.u8_at(pos)? == tensor_type_byte(TensorType::FLOAT32),
                None => true, // FLOAT32 is the schema default
            };
            if !out_is_f32 {
                continue;
            }
            if !converted.contains(&buffer_ix) {
                let buffer = fb.table_at(buffers.elem(index(buffer_ix as i32, buffers.len)?))?;
                let data_field = fb
                    .field_pos(buffer, Buffer::VT_DATA)?
                    .ok_or_else(|| malformed("fp16 constant without inline data"))?;
                let data = fb.byte_vector(fb.deref(data_field)?)?;
                if data.len() % 2 != 0 {
                    return Err(malformed("fp16 constant with an odd byte count"));
                }
                let f32_bytes: Vec<u8> = data
                    .chunks_exact(2)
                    .flat_map(|c| {
                        f16::from_bits(u16::from_le_bytes([c[0], c[1]]))
                            .to_f32()
                            .to_le_bytes()
                    })
                    .collect();
                let vec_pos = append_byte_vector(&mut out, &f32_bytes)?;
                write_u32(&mut out, data_field, offset_between(data_field, vec_pos)?)?;
                converted.push(buffer_ix);
            }
            write_u8(&mut out, type_pos, tensor_type_byte(TensorType::FLOAT32))?;
            retyped.push(tensor);
            redirects.push((input, output));
            dropped.push(o);
        }
        if dropped.is_empty() {
            continue;
        }
        // Point every consumer of a folded op's output at the constant.
        let mut int_vectors = Vec::new();
        for o in 0..operators.len {
            let op = fb.table_at(operators.elem(o))?;
            if let Some(v) = fb.vector(op, Operator::VT_INPUTS)? {
                int_vectors.push(v);
            }
        }
        if let Some(v) = fb.vector(graph, SubGraph::VT_OUTPUTS)? {
            int_vectors.push(v);
        }
        for v in int_vectors {
            for i in 0..v.len {
                let value = fb.i32_at(v.elem(i))?;
                if let Some((input, _)) = redirects.iter().find(|(_, out)| *out == value) {
                    write_u32(&mut out, v.elem(i), *input as u32)?;
                }
            }
        }
        // Drop the folded ops: compact the operators' offset vector in place.
        let mut kept = 0usize;
        for o in 0..operators.len {
            if dropped.contains(&o) {
                continue;
            }
            let target = fb.table_at(operators.elem(o))?;
            let slot = operators.elem(kept);
            write_u32(&mut out, slot, offset_between(slot, target)?)?;
            kept += 1;
        }
        let len_pos = operators
            .start
            .checked_sub(4)
            .ok_or_else(|| malformed("vector before the start of the buffer"))?;
        write_u32(&mut out, len_pos, to_u32(kept)?)?;
        report.folded_dequantize += dropped.len();
    }
    for g in 0..subgraphs.len {
        let graph = fb.table_at(subgraphs.elem(g))?;
        if let Some(tensors) = fb.vector(graph, SubGraph::VT_TENSORS)? {
            check_buffer_not_shared(&fb, tensors, &converted, &retyped)?;
        }
    }
    tract_tflite::tflite::root_as_model(&out)
        .map_err(|e| TfliteError::Malformed(format!("after folding DEQUANTIZE: {e}")))?;
    Ok((out, report))
}

/// Refuses a converted buffer that another, unconverted tensor also reads
/// (it would see f32 bytes where it expects fp16).
fn check_buffer_not_shared(
    fb: &Fb<'_>,
    tensors: FbVector,
    converted: &[u32],
    retyped: &[usize],
) -> Result<(), TfliteError> {
    for t in 0..tensors.len {
        let tensor = fb.table_at(tensors.elem(t))?;
        let buffer_ix = fb.scalar_u32(tensor, FlatTensor::VT_BUFFER)?.unwrap_or(0);
        if buffer_ix == 0 || !converted.contains(&buffer_ix) || retyped.contains(&tensor) {
            continue;
        }
        if let Some(pos) = fb.field_pos(tensor, FlatTensor::VT_TYPE_)?
            && fb.u8_at(pos)? == tensor_type_byte(TensorType::FLOAT16)
        {
            return Err(malformed(
                "an fp16 buffer is shared by a tensor that is not dequantized",
            ));
        }
    }
    Ok(())
}

/// Indices into `operator_codes` that mean `wanted`.
fn opcode_indices(model: &Model<'_>, wanted: BuiltinOperator) -> Vec<u32> {
    let Some(codes) = model.operator_codes() else {
        return Vec::new();
    };
    codes
        .iter()
        .enumerate()
        .filter(|(_, code)| builtin_code(code) == wanted)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// The builtin operator of an operator code (the schema keeps small codes in
/// the deprecated `i8` field and uses a placeholder there for larger ones).
pub(crate) fn builtin_code(code: &OperatorCode<'_>) -> BuiltinOperator {
    let deprecated = i32::from(code.deprecated_builtin_code());
    if deprecated == BuiltinOperator::PLACEHOLDER_FOR_GREATER_OP_CODES.0 {
        code.builtin_code()
    } else {
        BuiltinOperator(deprecated)
    }
}

fn tensor_type_byte(t: TensorType) -> u8 {
    t.0 as u8
}

fn malformed(what: &str) -> TfliteError {
    TfliteError::Malformed(what.to_owned())
}

fn index(i: i32, len: usize) -> Result<usize, TfliteError> {
    usize::try_from(i)
        .ok()
        .filter(|i| *i < len)
        .ok_or_else(|| malformed("tensor or buffer index out of range"))
}

fn to_u32(n: usize) -> Result<u32, TfliteError> {
    u32::try_from(n).map_err(|_| malformed("model larger than 4 GiB"))
}

/// Forward offset from `from` to `to`, as flatbuffers store it.
fn offset_between(from: usize, to: usize) -> Result<u32, TfliteError> {
    to.checked_sub(from)
        .ok_or_else(|| malformed("backward flatbuffer offset"))
        .and_then(to_u32)
}

/// Appends a `[ubyte]` vector (u32 length, then the bytes) with its data
/// 16-byte aligned; returns the vector's position.
fn append_byte_vector(out: &mut Vec<u8>, data: &[u8]) -> Result<usize, TfliteError> {
    while !(out.len() + 4).is_multiple_of(16) {
        out.push(0);
    }
    let pos = out.len();
    out.extend_from_slice(&to_u32(data.len())?.to_le_bytes());
    out.extend_from_slice(data);
    Ok(pos)
}

fn write_u32(out: &mut [u8], pos: usize, value: u32) -> Result<(), TfliteError> {
    let slot = out
        .get_mut(pos..pos + 4)
        .ok_or_else(|| malformed("write past the end"))?;
    slot.copy_from_slice(&value.to_le_bytes());
    Ok(())
}

fn write_u8(out: &mut [u8], pos: usize, value: u8) -> Result<(), TfliteError> {
    *out.get_mut(pos)
        .ok_or_else(|| malformed("write past the end"))? = value;
    Ok(())
}

/// A vector of 4-byte elements (offsets or `i32`) inside the buffer.
#[derive(Debug, Clone, Copy)]
struct FbVector {
    /// Position of the first element.
    start: usize,
    len: usize,
}

impl FbVector {
    fn elem(&self, i: usize) -> usize {
        self.start + 4 * i
    }

    fn get(&self, i: usize) -> Option<usize> {
        (i < self.len).then(|| self.elem(i))
    }
}

/// Minimal, bounds-checked reader of flatbuffer positions (the generated
/// accessors give values, not where they are).
struct Fb<'a>(&'a [u8]);

impl Fb<'_> {
    fn bytes<const N: usize>(&self, pos: usize) -> Result<[u8; N], TfliteError> {
        self.0
            .get(pos..pos + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| malformed("read past the end"))
    }

    fn u8_at(&self, pos: usize) -> Result<u8, TfliteError> {
        Ok(self.bytes::<1>(pos)?[0])
    }

    fn u16_at(&self, pos: usize) -> Result<u16, TfliteError> {
        Ok(u16::from_le_bytes(self.bytes(pos)?))
    }

    fn u32_at(&self, pos: usize) -> Result<u32, TfliteError> {
        Ok(u32::from_le_bytes(self.bytes(pos)?))
    }

    fn i32_at(&self, pos: usize) -> Result<i32, TfliteError> {
        Ok(i32::from_le_bytes(self.bytes(pos)?))
    }

    /// Follows the forward offset stored at `pos`.
    fn deref(&self, pos: usize) -> Result<usize, TfliteError> {
        pos.checked_add(self.u32_at(pos)? as usize)
            .ok_or_else(|| malformed("offset overflow"))
    }

    fn root(&self) -> Result<usize, TfliteError> {
        self.deref(0)
    }

    /// The table that the offset at `pos` points to.
    fn table_at(&self, pos: usize) -> Result<usize, TfliteError> {
        self.deref(pos)
    }

    /// Position of a table's field, `None` when the field is absent.
    fn field_pos(&self, table: usize, vt_offset: u16) -> Result<Option<usize>, TfliteError> {
        let soffset = self.i32_at(table)?;
        let vtable = (table as i64 - i64::from(soffset)) as usize;
        let vtable_len = self.u16_at(vtable)?;
        if vt_offset >= vtable_len {
            return Ok(None);
        }
        let field = self.u16_at(vtable + usize::from(vt_offset))?;
        Ok((field != 0).then(|| table + usize::from(field)))
    }

    fn scalar_u32(&self, table: usize, vt_offset: u16) -> Result<Option<u32>, TfliteError> {
        self.field_pos(table, vt_offset)?
            .map(|pos| self.u32_at(pos))
            .transpose()
    }

    /// A vector field of 4-byte elements.
    fn vector(&self, table: usize, vt_offset: u16) -> Result<Option<FbVector>, TfliteError> {
        let Some(field) = self.field_pos(table, vt_offset)? else {
            return Ok(None);
        };
        let vec = self.deref(field)?;
        let len = self.u32_at(vec)? as usize;
        if vec + 4 + 4 * len > self.0.len() {
            return Err(malformed("vector past the end"));
        }
        Ok(Some(FbVector {
            start: vec + 4,
            len,
        }))
    }

    /// The bytes of the `[ubyte]` vector at `vec`.
    fn byte_vector(&self, vec: usize) -> Result<&[u8], TfliteError> {
        let len = self.u32_at(vec)? as usize;
        self.0
            .get(vec + 4..vec + 4 + len)
            .ok_or_else(|| malformed("vector past the end"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flatbuffers::FlatBufferBuilder;
    use tract_tflite::prelude::{TValue, Tensor, tvec};
    use tract_tflite::tflite::{
        ActivationFunctionType, AddOptions, AddOptionsArgs, BufferArgs, BuiltinOptions, ModelArgs,
        OperatorArgs, OperatorCodeArgs, SubGraphArgs, TensorArgs, finish_model_buffer,
    };

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// fp16-exact constants.
    const BIAS: [f32; 4] = [0.5, -1.25, 2.0, 1024.0];

    /// `out = x + DEQUANTIZE(bias_fp16)`, x: f32 [1, 4]; with
    /// `dequantize: false` the bias is a plain f32 constant instead.
    fn tiny_model(dequantize: bool) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        let mut codes = Vec::new();
        if dequantize {
            codes.push(OperatorCode::create(
                &mut fbb,
                &OperatorCodeArgs {
                    deprecated_builtin_code: BuiltinOperator::DEQUANTIZE.0 as i8,
                    builtin_code: BuiltinOperator::DEQUANTIZE,
                    version: 1,
                    ..Default::default()
                },
            ));
        }
        codes.push(OperatorCode::create(
            &mut fbb,
            &OperatorCodeArgs {
                deprecated_builtin_code: BuiltinOperator::ADD.0 as i8,
                builtin_code: BuiltinOperator::ADD,
                version: 1,
                ..Default::default()
            },
        ));
        let codes = fbb.create_vector(&codes);
        let bias_bytes: Vec<u8> = if dequantize {
            BIAS.iter()
                .flat_map(|v| f16::from_f32(*v).to_bits().to_le_bytes())
                .collect()
        } else {
            BIAS.iter().flat_map(|v| v.to_le_bytes()).collect()
        };
        let sentinel = Buffer::create(&mut fbb, &BufferArgs { data: None });
        let data = fbb.create_vector(&bias_bytes);
        let bias_buffer = Buffer::create(&mut fbb, &BufferArgs { data: Some(data) });
        let buffers = fbb.create_vector(&[sentinel, bias_buffer]);
        let mut tensor = |name: &str, shape: &[i32], type_: TensorType, buffer: u32| {
            let shape = fbb.create_vector(shape);
            let name = fbb.create_string(name);
            FlatTensor::create(
                &mut fbb,
                &TensorArgs {
                    shape: Some(shape),
                    type_,
                    buffer,
                    name: Some(name),
                    ..Default::default()
                },
            )
        };
        let bias_type = if dequantize {
            TensorType::FLOAT16
        } else {
            TensorType::FLOAT32
        };
        let tensors = [
            tensor("x", &[1, 4], TensorType::FLOAT32, 0),
            tensor("bias", &[4], bias_type, 1),
            tensor("bias_f32", &[4], TensorType::FLOAT32, 0),
            tensor("out", &[1, 4], TensorType::FLOAT32, 0),
        ];
        let tensors = fbb.create_vector(&tensors);
        let mut ops = Vec::new();
        if dequantize {
            let inputs = fbb.create_vector(&[1i32]);
            let outputs = fbb.create_vector(&[2i32]);
            ops.push(Operator::create(
                &mut fbb,
                &OperatorArgs {
                    opcode_index: 0,
                    inputs: Some(inputs),
                    outputs: Some(outputs),
                    ..Default::default()
                },
            ));
        }
        let add_options = AddOptions::create(
            &mut fbb,
            &AddOptionsArgs {
                fused_activation_function: ActivationFunctionType::NONE,
                ..Default::default()
            },
        );
        let inputs = fbb.create_vector(&[0i32, if dequantize { 2 } else { 1 }]);
        let outputs = fbb.create_vector(&[3i32]);
        ops.push(Operator::create(
            &mut fbb,
            &OperatorArgs {
                opcode_index: u32::from(dequantize),
                inputs: Some(inputs),
                outputs: Some(outputs),
                builtin_options_type: BuiltinOptions::AddOptions,
                builtin_options: Some(add_options.as_union_value()),
                ..Default::default()
            },
        ));
        let ops = fbb.create_vector(&ops);
        let graph_inputs = fbb.create_vector(&[0i32]);
        let graph_outputs = fbb.create_vector(&[3i32]);
        let graph = SubGraph::create(
            &mut fbb,
            &SubGraphArgs {
                tensors: Some(tensors),
                inputs: Some(graph_inputs),
                outputs: Some(graph_outputs),
                operators: Some(ops),
                name: None,
            },
        );
        let graphs = fbb.create_vector(&[graph]);
        let model = Model::create(
            &mut fbb,
            &ModelArgs {
                version: 3,
                operator_codes: Some(codes),
                subgraphs: Some(graphs),
                buffers: Some(buffers),
                ..Default::default()
            },
        );
        finish_model_buffer(&mut fbb, model);
        fbb.finished_data().to_vec()
    }

    fn run(bytes: &[u8]) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
        let plan = load_tflite(bytes)?;
        let x = Tensor::from_shape(&[1, 4], &[1.0f32, 2.0, 3.0, 4.0])?;
        let out = plan.run(tvec!(TValue::from(x)))?;
        let view = out[0].to_plain_array_view::<f32>()?;
        Ok(view.iter().copied().collect())
    }

    #[test]
    fn unmodified_tract_refuses_fp16_dequantize() {
        let bytes = tiny_model(true);
        let refused = tract_tflite::tflite().model_for_read(&mut bytes.as_slice());
        assert!(refused.is_err());
    }

    #[test]
    fn folds_fp16_dequantize_into_an_f32_constant() -> TestResult {
        let bytes = tiny_model(true);
        let (patched, report) = fold_fp16_dequantize(&bytes)?;
        assert_eq!(report.folded_dequantize, 1);
        let model = tract_tflite::tflite::root_as_model(&patched)?;
        let ops = model
            .subgraphs()
            .ok_or("no subgraphs")?
            .get(0)
            .operators()
            .ok_or("no ops")?;
        assert_eq!(ops.len(), 1, "DEQUANTIZE dropped, ADD kept");
        assert_eq!(run(&bytes)?, vec![1.5, 0.75, 5.0, 1028.0]);
        Ok(())
    }

    #[test]
    fn models_without_dequantize_are_unchanged() -> TestResult {
        let bytes = tiny_model(false);
        let (patched, report) = fold_fp16_dequantize(&bytes)?;
        assert_eq!(report.folded_dequantize, 0);
        assert_eq!(patched, bytes);
        assert_eq!(run(&bytes)?, vec![1.5, 0.75, 5.0, 1028.0]);
        Ok(())
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [&b""[..], b"TFL3", &[0xff; 64]] {
            assert!(matches!(
                fold_fp16_dequantize(bytes),
                Err(TfliteError::Malformed(_))
            ));
            assert!(load_tflite(bytes).is_err());
        }
        // A valid model cut short.
        let bytes = tiny_model(true);
        assert!(load_tflite(&bytes[..bytes.len() / 2]).is_err());
    }
}
