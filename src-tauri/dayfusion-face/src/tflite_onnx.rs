//! The MediaPipe `.tflite` models (BlazeFace, face mesh) as ONNX graphs, so
//! ONNX Runtime runs them as it runs YuNet and SFace: on one core the face
//! mesh takes a few milliseconds there against about 15 on tract, and the
//! liveness engine runs it on every frame.
//!
//! [`tflite_to_onnx`] translates the graph op by op after
//! [`fold_fp16_dequantize`] (so every weight is an f32 constant). TFLite
//! keeps images channel-last (NHWC) and ONNX convolutions want them
//! channel-first (NCHW): the input is transposed once, every image tensor
//! stays NCHW inside the graph (weights, paddings and axes are permuted at
//! conversion time) and each output is transposed back, so the ONNX graph
//! takes and returns exactly what the `.tflite` model does. Only the ops
//! these models use are translated; any other is refused by name. Checked
//! against the TFLite runtime's own outputs (`tests/reference.rs`).

use std::collections::HashMap;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_tflite::tflite::{
    ActivationFunctionType, BuiltinOperator, Model, Operator, Padding, Tensor as FlatTensor,
    TensorType,
};

use crate::onnx::FLOAT;
use crate::tflite::{TfliteError, builtin_code, fold_fp16_dequantize};

/// ONNX `TensorProto.DataType` of the int64 constants written here (f32
/// is [`FLOAT`]).
const INT64: i32 = 7;
/// The opset the graph is written for.
const OPSET: i64 = 13;
/// NHWC -> NCHW, and back.
const TO_NCHW: [usize; 4] = [0, 3, 1, 2];
const TO_NHWC: [usize; 4] = [0, 2, 3, 1];

/// Translates `.tflite` bytes into an ONNX model (opset 13) with the same
/// inputs and outputs.
pub fn tflite_to_onnx(bytes: &[u8]) -> Result<pb::ModelProto, TfliteError> {
    let (folded, _) = fold_fp16_dequantize(bytes)?;
    let model = tract_tflite::tflite::root_as_model(&folded)
        .map_err(|e| TfliteError::Malformed(e.to_string()))?;
    let mut graph = Converter::new(&model)?.convert()?;
    // The face mesh's PRELUs, in the form ONNX Runtime runs fast.
    crate::prelu::expand_prelu(&mut graph);
    Ok(pb::ModelProto {
        ir_version: 7,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "dayfusion-face tflite_to_onnx".to_owned(),
        graph: Some(graph),
        ..Default::default()
    })
}

/// [`tflite_to_onnx`], encoded.
pub fn tflite_to_onnx_bytes(bytes: &[u8]) -> Result<Vec<u8>, TfliteError> {
    tflite_to_onnx(bytes).map(|m| m.encode_to_vec())
}

/// How an activation tensor is laid out in the ONNX graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// A 4-D image tensor, channel-first (the TFLite tensor is NHWC).
    Nchw,
    /// As in the TFLite model.
    Plain,
}

#[derive(Debug, Clone)]
struct Value {
    name: String,
    layout: Layout,
}

struct Converter<'a> {
    model: &'a Model<'a>,
    tensors: Vec<FlatTensor<'a>>,
    operators: Vec<Operator<'a>>,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
    values: HashMap<i32, Value>,
    nodes: Vec<pb::NodeProto>,
    initializers: Vec<pb::TensorProto>,
    fresh: usize,
}

fn unsupported(what: impl Into<String>) -> TfliteError {
    TfliteError::Unsupported(what.into())
}

fn malformed(what: impl Into<String>) -> TfliteError {
    TfliteError::Malformed(what.into())
}

impl<'a> Converter<'a> {
    fn new(model: &'a Model<'a>) -> Result<Self, TfliteError> {
        let graphs = model
            .subgraphs()
            .ok_or_else(|| malformed("model has no subgraphs"))?;
        if graphs.len() != 1 {
            return Err(unsupported(format!("{} subgraphs", graphs.len())));
        }
        let graph = graphs.get(0);
        let tensors = graph
            .tensors()
            .ok_or_else(|| malformed("subgraph has no tensors"))?
            .iter()
            .collect();
        let operators = graph
            .operators()
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        Ok(Converter {
            model,
            tensors,
            operators,
            inputs: graph
                .inputs()
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            outputs: graph
                .outputs()
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            values: HashMap::new(),
            nodes: Vec::new(),
            initializers: Vec::new(),
            fresh: 0,
        })
    }

    fn convert(mut self) -> Result<pb::GraphProto, TfliteError> {
        let mut graph_inputs = Vec::new();
        for &ix in &self.inputs.clone() {
            let (name, shape) = (self.tensor_name(ix)?, self.shape(ix)?);
            if self.tensor(ix)?.type_() != TensorType::FLOAT32 {
                return Err(unsupported(format!("input {name} is not float32")));
            }
            graph_inputs.push(value_info(&name, &shape));
            let value = if shape.len() == 4 {
                let nchw = self.node("Transpose", &[&name], vec![perm(TO_NCHW)]);
                Value {
                    name: nchw,
                    layout: Layout::Nchw,
                }
            } else {
                Value {
                    name,
                    layout: Layout::Plain,
                }
            };
            self.values.insert(ix, value);
        }
        for op in self.operators.clone() {
            self.operator(&op)?;
        }
        let mut graph_outputs = Vec::new();
        for &ix in &self.outputs.clone() {
            let (name, shape) = (self.tensor_name(ix)?, self.shape(ix)?);
            let value = self.activation(ix)?;
            let (op_type, attribute) = match value.layout {
                Layout::Nchw => ("Transpose", vec![perm(TO_NHWC)]),
                Layout::Plain => ("Identity", vec![]),
            };
            self.push_node(op_type, &[&value.name], attribute, name.clone());
            graph_outputs.push(value_info(&name, &shape));
        }
        Ok(pb::GraphProto {
            name: "tflite".to_owned(),
            node: self.nodes,
            initializer: self.initializers,
            input: graph_inputs,
            output: graph_outputs,
            ..Default::default()
        })
    }

    fn operator(&mut self, op: &Operator<'a>) -> Result<(), TfliteError> {
        let codes = self
            .model
            .operator_codes()
            .ok_or_else(|| malformed("model has no operator codes"))?;
        let code_ix = op.opcode_index() as usize;
        if code_ix >= codes.len() {
            return Err(malformed("operator code index out of range"));
        }
        let code = builtin_code(&codes.get(code_ix));
        let inputs: Vec<i32> = op.inputs().map(|v| v.iter().collect()).unwrap_or_default();
        let outputs: Vec<i32> = op.outputs().map(|v| v.iter().collect()).unwrap_or_default();
        let [output] = outputs[..] else {
            return Err(unsupported(format!(
                "{code:?} with {} outputs",
                outputs.len()
            )));
        };
        let input = |i: usize| {
            inputs
                .get(i)
                .copied()
                .ok_or_else(|| malformed(format!("{code:?} lacks input {i}")))
        };
        let (value, activation) = match code {
            BuiltinOperator::CONV_2D | BuiltinOperator::DEPTHWISE_CONV_2D => {
                self.convolution(op, code, &inputs)?
            }
            BuiltinOperator::MAX_POOL_2D => {
                let o = op
                    .builtin_options_as_pool_2_doptions()
                    .ok_or_else(|| malformed("MAX_POOL_2D without options"))?;
                let x = self.image(input(0)?)?;
                let [_, h, w, _] = self.shape4(input(0)?)?;
                let kernel = [o.filter_height(), o.filter_width()].map(i64::from);
                let strides = [o.stride_h(), o.stride_w()].map(i64::from);
                let pads = pads(o.padding(), [h, w], kernel, strides, [1, 1])?;
                let name = self.node(
                    "MaxPool",
                    &[&x],
                    vec![
                        ints("kernel_shape", &kernel),
                        ints("strides", &strides),
                        ints("pads", &pads),
                    ],
                );
                (nchw(name), o.fused_activation_function())
            }
            BuiltinOperator::ADD => {
                let o = op
                    .builtin_options_as_add_options()
                    .ok_or_else(|| malformed("ADD without options"))?;
                let (a, b) = (self.activation(input(0)?)?, self.activation(input(1)?)?);
                if a.layout != b.layout {
                    return Err(unsupported("ADD of tensors in different layouts"));
                }
                let name = self.node("Add", &[&a.name, &b.name], vec![]);
                (
                    Value {
                        name,
                        layout: a.layout,
                    },
                    o.fused_activation_function(),
                )
            }
            BuiltinOperator::RELU => {
                let x = self.activation(input(0)?)?;
                let name = self.node("Relu", &[&x.name], vec![]);
                (
                    Value {
                        name,
                        layout: x.layout,
                    },
                    ActivationFunctionType::NONE,
                )
            }
            BuiltinOperator::PRELU => {
                let x = self.image(input(0)?)?;
                let (alpha, shape) = self.constant_f32(input(1)?)?;
                let channels = shape.last().copied().unwrap_or(1);
                if shape.iter().rev().skip(1).any(|&d| d != 1) {
                    return Err(unsupported("PRELU with a per-pixel alpha"));
                }
                // Channel-first broadcast: [C, 1, 1].
                let alpha = self.initializer_f32(&alpha, &[channels, 1, 1]);
                (
                    nchw(self.node("PRelu", &[&x, &alpha], vec![])),
                    ActivationFunctionType::NONE,
                )
            }
            BuiltinOperator::PAD => {
                let x = self.image(input(0)?)?;
                let paddings = self.constant_i32(input(1)?)?;
                if paddings.len() != 8 {
                    return Err(unsupported("PAD of a tensor that is not 4-D"));
                }
                // NHWC rows [before, after] -> ONNX [begins (NCHW)..., ends...].
                let mut onnx = [0i64; 8];
                for (nchw_axis, &nhwc_axis) in TO_NCHW.iter().enumerate() {
                    onnx[nchw_axis] = i64::from(paddings[2 * nhwc_axis]);
                    onnx[4 + nchw_axis] = i64::from(paddings[2 * nhwc_axis + 1]);
                }
                let pads = self.initializer_i64(&onnx, &[8]);
                (
                    nchw(self.node("Pad", &[&x, &pads], vec![])),
                    ActivationFunctionType::NONE,
                )
            }
            BuiltinOperator::RESHAPE => {
                let x = self.activation(input(0)?)?;
                let plain = match x.layout {
                    Layout::Nchw => self.node("Transpose", &[&x.name], vec![perm(TO_NHWC)]),
                    Layout::Plain => x.name,
                };
                let target = self.shape(output)?;
                let shape = self.initializer_i64(&target, &[target.len() as i64]);
                let reshaped = self.node("Reshape", &[&plain, &shape], vec![]);
                let value = if target.len() == 4 {
                    nchw(self.node("Transpose", &[&reshaped], vec![perm(TO_NCHW)]))
                } else {
                    Value {
                        name: reshaped,
                        layout: Layout::Plain,
                    }
                };
                (value, ActivationFunctionType::NONE)
            }
            BuiltinOperator::CONCATENATION => {
                let o = op
                    .builtin_options_as_concatenation_options()
                    .ok_or_else(|| malformed("CONCATENATION without options"))?;
                let parts = inputs
                    .iter()
                    .map(|&i| self.activation(i))
                    .collect::<Result<Vec<_>, _>>()?;
                let layout = parts.first().map_or(Layout::Plain, |p| p.layout);
                if parts.iter().any(|p| p.layout != layout) {
                    return Err(unsupported("CONCATENATION of tensors in different layouts"));
                }
                let rank = self.shape(output)?.len() as i32;
                let axis = if o.axis() < 0 {
                    o.axis() + rank
                } else {
                    o.axis()
                };
                let axis = match layout {
                    Layout::Nchw => usize::try_from(axis)
                        .ok()
                        .and_then(|a| TO_NCHW.iter().position(|&n| n == a))
                        .ok_or_else(|| malformed("CONCATENATION axis out of range"))?
                        as i64,
                    Layout::Plain => i64::from(axis),
                };
                let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                let name = self.node("Concat", &names, vec![int("axis", axis)]);
                (Value { name, layout }, o.fused_activation_function())
            }
            BuiltinOperator::RESIZE_BILINEAR => {
                let o = op
                    .builtin_options_as_resize_bilinear_options()
                    .ok_or_else(|| malformed("RESIZE_BILINEAR without options"))?;
                let x = self.image(input(0)?)?;
                let [n, _, _, c] = self.shape4(input(0)?)?;
                let size = self.constant_i32(input(1)?)?;
                let [h, w] = size[..] else {
                    return Err(malformed("RESIZE_BILINEAR size is not [h, w]"));
                };
                let sizes = self.initializer_i64(&[n, c, i64::from(h), i64::from(w)], &[4]);
                let mode = if o.align_corners() {
                    "align_corners"
                } else if o.half_pixel_centers() {
                    "half_pixel"
                } else {
                    "asymmetric"
                };
                let name = self.node(
                    "Resize",
                    &[&x, "", "", &sizes],
                    vec![
                        string("mode", "linear"),
                        string("coordinate_transformation_mode", mode),
                    ],
                );
                (nchw(name), ActivationFunctionType::NONE)
            }
            other => return Err(unsupported(format!("operator {other:?}"))),
        };
        let value = self.fused(value, activation)?;
        self.values.insert(output, value);
        Ok(())
    }

    /// `CONV_2D` (filter `[O, kh, kw, I]`) or `DEPTHWISE_CONV_2D` (filter
    /// `[1, kh, kw, C * M]`) as an ONNX `Conv`.
    fn convolution(
        &mut self,
        op: &Operator<'a>,
        code: BuiltinOperator,
        inputs: &[i32],
    ) -> Result<(Value, ActivationFunctionType), TfliteError> {
        let [x_ix, w_ix, rest @ ..] = inputs else {
            return Err(malformed(format!("{code:?} lacks inputs")));
        };
        let (padding, strides, dilations, activation, depthwise) =
            if code == BuiltinOperator::CONV_2D {
                let o = op
                    .builtin_options_as_conv_2_doptions()
                    .ok_or_else(|| malformed("CONV_2D without options"))?;
                (
                    o.padding(),
                    [o.stride_h(), o.stride_w()],
                    [o.dilation_h_factor(), o.dilation_w_factor()],
                    o.fused_activation_function(),
                    None,
                )
            } else {
                let o = op
                    .builtin_options_as_depthwise_conv_2_doptions()
                    .ok_or_else(|| malformed("DEPTHWISE_CONV_2D without options"))?;
                (
                    o.padding(),
                    [o.stride_h(), o.stride_w()],
                    [o.dilation_h_factor(), o.dilation_w_factor()],
                    o.fused_activation_function(),
                    Some(o.depth_multiplier()),
                )
            };
        let x = self.image(*x_ix)?;
        let [_, h, w, channels] = self.shape4(*x_ix)?;
        let (filter, shape) = self.constant_f32(*w_ix)?;
        let [a, kh, kw, b] = shape[..] else {
            return Err(malformed(format!("{code:?} filter is not 4-D")));
        };
        let (weights, onnx_shape, group) = match depthwise {
            None => {
                if b != channels {
                    return Err(unsupported("CONV_2D with groups"));
                }
                (
                    permute4(&filter, [a, kh, kw, b], TO_NCHW),
                    [a, b, kh, kw],
                    1,
                )
            }
            Some(multiplier) => {
                // A multiplier of 0 (deprecated) leaves it to the filter.
                let fits = match multiplier {
                    0 => channels > 0 && b % channels == 0,
                    m => b == channels * i64::from(m),
                };
                if a != 1 || !fits {
                    return Err(malformed("DEPTHWISE_CONV_2D filter does not fit its input"));
                }
                (
                    permute4(&filter, [a, kh, kw, b], [3, 0, 1, 2]),
                    [b, 1, kh, kw],
                    channels,
                )
            }
        };
        let weights = self.initializer_f32(&weights, &onnx_shape);
        let mut conv_inputs = vec![x, weights];
        if let Some(&bias_ix) = rest.first().filter(|&&i| i >= 0) {
            let (bias, bias_shape) = self.constant_f32(bias_ix)?;
            conv_inputs.push(self.initializer_f32(&bias, &bias_shape));
        }
        let kernel = [kh, kw];
        let strides = strides.map(i64::from);
        let dilations = dilations.map(i64::from);
        let pads = pads(padding, [h, w], kernel, strides, dilations)?;
        let names: Vec<&str> = conv_inputs.iter().map(String::as_str).collect();
        let name = self.node(
            "Conv",
            &names,
            vec![
                ints("kernel_shape", &kernel),
                ints("strides", &strides),
                ints("dilations", &dilations),
                ints("pads", &pads),
                int("group", group),
            ],
        );
        Ok((nchw(name), activation))
    }

    fn fused(
        &mut self,
        value: Value,
        activation: ActivationFunctionType,
    ) -> Result<Value, TfliteError> {
        let name = match activation {
            ActivationFunctionType::NONE => return Ok(value),
            ActivationFunctionType::RELU => self.node("Relu", &[&value.name], vec![]),
            ActivationFunctionType::RELU6 => {
                let low = self.initializer_f32(&[0.0], &[]);
                let high = self.initializer_f32(&[6.0], &[]);
                self.node("Clip", &[&value.name, &low, &high], vec![])
            }
            other => return Err(unsupported(format!("fused activation {other:?}"))),
        };
        Ok(Value {
            name,
            layout: value.layout,
        })
    }

    /// Appends a node with one fresh output; returns the output's name.
    fn node(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attribute: Vec<pb::AttributeProto>,
    ) -> String {
        let output = self.fresh_name(op_type);
        self.push_node(op_type, inputs, attribute, output.clone());
        output
    }

    /// Appends a node with one output named `output`.
    fn push_node(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attribute: Vec<pb::AttributeProto>,
        output: String,
    ) {
        self.nodes.push(pb::NodeProto {
            op_type: op_type.to_owned(),
            name: output.clone(),
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: vec![output],
            attribute,
            ..Default::default()
        });
    }

    /// A name for an intermediate value or constant, under a prefix of its
    /// own so it cannot take a graph input's or output's name.
    fn fresh_name(&mut self, what: &str) -> String {
        self.fresh += 1;
        format!("tflite_onnx/{what}_{}", self.fresh)
    }

    fn initializer(&mut self, data_type: i32, raw_data: Vec<u8>, dims: &[i64]) -> String {
        let name = self.fresh_name("const");
        self.initializers.push(pb::TensorProto {
            name: name.clone(),
            dims: dims.to_vec(),
            data_type,
            raw_data,
            ..Default::default()
        });
        name
    }

    fn initializer_f32(&mut self, data: &[f32], dims: &[i64]) -> String {
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializer(FLOAT, raw, dims)
    }

    fn initializer_i64(&mut self, data: &[i64], dims: &[i64]) -> String {
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializer(INT64, raw, dims)
    }

    fn tensor(&self, ix: i32) -> Result<&FlatTensor<'a>, TfliteError> {
        usize::try_from(ix)
            .ok()
            .and_then(|i| self.tensors.get(i))
            .ok_or_else(|| malformed("tensor index out of range"))
    }

    /// A graph input's or output's name: the TFLite tensor's, else
    /// `tensor_<index>`.
    fn tensor_name(&self, ix: i32) -> Result<String, TfliteError> {
        Ok(self
            .tensor(ix)?
            .name()
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("tensor_{ix}"), str::to_owned))
    }

    fn shape(&self, ix: i32) -> Result<Vec<i64>, TfliteError> {
        let shape: Vec<i64> = self
            .tensor(ix)?
            .shape()
            .map(|v| v.iter().map(i64::from).collect())
            .unwrap_or_default();
        if shape.iter().any(|&d| d < 0) {
            return Err(unsupported("a tensor with a dynamic shape"));
        }
        Ok(shape)
    }

    fn shape4(&self, ix: i32) -> Result<[i64; 4], TfliteError> {
        self.shape(ix)?
            .try_into()
            .map_err(|_| unsupported("an image tensor that is not 4-D"))
    }

    /// The constant bytes of tensor `ix`, if it is a constant.
    fn constant_bytes(&self, ix: i32) -> Result<Option<&'a [u8]>, TfliteError> {
        let buffer = self.tensor(ix)?.buffer() as usize;
        if buffer == 0 {
            return Ok(None);
        }
        let buffers = self
            .model
            .buffers()
            .ok_or_else(|| malformed("model has no buffers"))?;
        if buffer >= buffers.len() {
            return Err(malformed("buffer index out of range"));
        }
        Ok(buffers
            .get(buffer)
            .data()
            .map(|d| d.bytes())
            .filter(|d| !d.is_empty()))
    }

    fn constant_f32(&self, ix: i32) -> Result<(Vec<f32>, Vec<i64>), TfliteError> {
        if self.tensor(ix)?.type_() != TensorType::FLOAT32 {
            return Err(unsupported("a constant that is not float32"));
        }
        let bytes = self
            .constant_bytes(ix)?
            .ok_or_else(|| unsupported("a computed tensor where a constant was expected"))?;
        let shape = self.shape(ix)?;
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if values.len() as i64 != shape.iter().product::<i64>() || bytes.len() % 4 != 0 {
            return Err(malformed("constant size does not match its shape"));
        }
        Ok((values, shape))
    }

    fn constant_i32(&self, ix: i32) -> Result<Vec<i32>, TfliteError> {
        if self.tensor(ix)?.type_() != TensorType::INT32 {
            return Err(unsupported("an index constant that is not int32"));
        }
        let bytes = self
            .constant_bytes(ix)?
            .ok_or_else(|| unsupported("a computed tensor where a constant was expected"))?;
        if bytes.len() % 4 != 0 {
            return Err(malformed("int32 constant with a partial value"));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The ONNX value computed for tensor `ix`.
    fn activation(&self, ix: i32) -> Result<Value, TfliteError> {
        self.values.get(&ix).cloned().ok_or_else(|| {
            unsupported(format!(
                "tensor {ix} is read before it is computed, or is a constant operand"
            ))
        })
    }

    /// The NCHW name of image tensor `ix`.
    fn image(&self, ix: i32) -> Result<String, TfliteError> {
        let value = self.activation(ix)?;
        match value.layout {
            Layout::Nchw => Ok(value.name),
            Layout::Plain => Err(unsupported("an image op on a tensor that is not 4-D")),
        }
    }
}

fn nchw(name: String) -> Value {
    Value {
        name,
        layout: Layout::Nchw,
    }
}

/// Explicit `[top, left, bottom, right]` pads for TFLite's `SAME` (the
/// extra pixel at the end, as TFLite puts it) or `VALID`.
fn pads(
    padding: Padding,
    input: [i64; 2],
    kernel: [i64; 2],
    strides: [i64; 2],
    dilations: [i64; 2],
) -> Result<[i64; 4], TfliteError> {
    if strides
        .iter()
        .chain(&dilations)
        .chain(&kernel)
        .any(|&v| v < 1)
    {
        return Err(malformed("stride, dilation or kernel below 1"));
    }
    let mut out = [0i64; 4];
    if padding == Padding::SAME {
        for axis in 0..2 {
            let effective = (kernel[axis] - 1) * dilations[axis] + 1;
            let outputs = (input[axis] + strides[axis] - 1) / strides[axis];
            let total = ((outputs - 1) * strides[axis] + effective - input[axis]).max(0);
            out[axis] = total / 2;
            out[axis + 2] = total - total / 2;
        }
    } else if padding != Padding::VALID {
        return Err(unsupported(format!("padding {padding:?}")));
    }
    Ok(out)
}

/// Permutes a 4-D row-major array: output axis `i` is input axis `perm[i]`.
fn permute4(data: &[f32], shape: [i64; 4], perm: [usize; 4]) -> Vec<f32> {
    let dims = shape.map(|d| d.max(0) as usize);
    let mut strides = [1usize; 4];
    for i in (0..3).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let out_dims = perm.map(|p| dims[p]);
    let out_strides = perm.map(|p| strides[p]);
    let mut out = Vec::with_capacity(data.len());
    for a in 0..out_dims[0] {
        for b in 0..out_dims[1] {
            for c in 0..out_dims[2] {
                for d in 0..out_dims[3] {
                    let at = a * out_strides[0]
                        + b * out_strides[1]
                        + c * out_strides[2]
                        + d * out_strides[3];
                    out.push(data.get(at).copied().unwrap_or(0.0));
                }
            }
        }
    }
    out
}

pub(crate) fn value_info(name: &str, shape: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension};
    pb::ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: FLOAT,
                shape: Some(pb::TensorShapeProto {
                    dim: shape
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(dimension::Value::DimValue(d)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// A `Transpose`'s `perm` attribute.
fn perm(axes: [usize; 4]) -> pb::AttributeProto {
    ints("perm", &axes.map(|a| a as i64))
}

fn int(name: &str, value: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

fn string(name: &str, value: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::String as i32,
        s: value.as_bytes().to_vec(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_puts_the_odd_pixel_at_the_end() {
        // 192 input, 3x3 kernel, stride 2: 96 outputs need 1 pixel of padding,
        // which TFLite adds at the bottom and right.
        let p = pads(Padding::SAME, [192, 192], [3, 3], [2, 2], [1, 1]).ok();
        assert_eq!(p, Some([0, 0, 1, 1]));
        let p = pads(Padding::SAME, [16, 16], [3, 3], [1, 1], [1, 1]).ok();
        assert_eq!(p, Some([1, 1, 1, 1]));
        let p = pads(Padding::VALID, [16, 16], [3, 3], [3, 3], [1, 1]).ok();
        assert_eq!(p, Some([0, 0, 0, 0]));
    }

    #[test]
    fn permute_moves_the_channel_axis() {
        // A [1, 1, 2, 3] NHWC array -> NCHW [1, 3, 1, 2].
        let data = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let out = permute4(&data, [1, 1, 2, 3], TO_NCHW);
        assert_eq!(out, [0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
    }
}
