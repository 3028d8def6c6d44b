"""Benchmark the real architectures (random weights, nothing downloaded): Synthio's lean DPO step, batched sampling, CLAP and AST throughput.

Stable Audio Open is built from its published configuration (DiT 24 layers x 1536, 1024 latent
frames of 64 channels; Oobleck VAE 128 x [1, 2, 4, 8, 16], hop 2048, 44.1 kHz stereo; T5-base
text encoder, 128 tokens), AudioLDM2 from the values of the cvssp/audioldm2 configs (UNet
128 x [1, 2, 3, 5]; VAE with 8 latent channels; HiFi-GAN 16 kHz; CLAP, flan-T5-large and GPT-2
conditioning), CLAP from ``ClapConfig()`` (HTSAT-unfused + RoBERTa-base, laion/clap-htsat-unfused's
sizes) and AST from ``ASTConfig()`` (MIT/ast-finetuned-audioset-10-10-0.4593's sizes, 527 labels).
Memory and speed do not depend on the weight values.

Measured, in one run on one device, reported as ratios:

(a) one DPO step on Stable Audio: Synthio's (LoRA, reference = adapters disabled, gradient
    checkpointing, bf16 autocast on CUDA) against the release's style (every DiT weight trained,
    a deep-copied frozen reference, no checkpointing): peak memory, seconds per step, and on
    CUDA the largest batch that fits in 24 GB and in 80 GB (the process is capped to that
    memory with ``torch.cuda.set_per_process_memory_fraction``; batches double until one fails).
    On CPU the growth of the peak resident set over each setup is reported (Linux ``clear_refs``).
(b) generation of 4-s and 10-s clips: clips per second batched (fast sampler steps) against one
    clip per call at 250 steps, for Stable Audio and AudioLDM2.
(c) forward throughput of the CLAP audio tower and of AST at their real input sizes.

``--scale tiny`` (default on CPU; the test runs it) shrinks every configuration so the whole run
takes well under a minute on 2 cores; ``--scale mid`` keeps the DiT's width with fewer layers;
``--scale full`` is the published sizes, for a GPU (under 10 minutes on one H100).

Usage: python scripts/bench_real_models.py [--scale tiny|mid|full] [--device cpu|cuda] --out bench.json
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

GIB = 2**30
WORDS = ["<pad>", "<s>", "</s>", "<unk>", "sound", "of", "a", "dog", "barking", "rain", "on", "roof", "car", "horn", "in", "the", "street", "siren"]
PROMPTS = ["sound of a dog barking", "rain on the roof", "car horn in the street", "sound of a siren"]


@dataclass
class Scale:
    """Every size the benchmark builds; ``full`` holds the published values."""

    dit: dict
    sample_size: int
    oobleck: dict
    t5: dict
    text_tokens: int
    aldm_unet: tuple[int, ...]
    aldm_vae: tuple[int, ...]
    aldm_clap: dict
    aldm_t5: dict
    aldm_gpt2: dict
    aldm_vocoder: dict
    clap_audio: dict
    clap_text: dict
    ast: dict
    dpo_batch: int
    lora_rank: int
    gen_batches: tuple[int, ...]
    fast_steps: int
    release_steps: int
    encoder_batch: int
    timed_steps: int
    aldm_groups: int = 32
    sampling_rate: int = 44100
    notes: list[str] = field(default_factory=list)


FULL = Scale(
    dit=dict(in_channels=64, num_layers=24, attention_head_dim=64, num_attention_heads=24, num_key_value_attention_heads=12, out_channels=64, cross_attention_dim=768, time_proj_dim=256, global_states_input_dim=1536, cross_attention_input_dim=768),
    sample_size=1024,
    oobleck=dict(encoder_hidden_size=128, downsampling_ratios=[2, 4, 4, 8, 8], channel_multiples=[1, 2, 4, 8, 16], decoder_channels=128, decoder_input_channels=64, audio_channels=2),
    t5=dict(d_model=768, d_ff=3072, num_layers=12, num_heads=12, d_kv=64, vocab_size=32128),
    text_tokens=128,
    aldm_unet=(128, 256, 384, 640),
    aldm_vae=(128, 256, 512),
    aldm_clap=dict(),
    aldm_t5=dict(d_model=1024, d_ff=2816, num_layers=24, num_heads=16, d_kv=64, vocab_size=32128, feed_forward_proj="gated-gelu"),
    aldm_gpt2=dict(n_embd=768, n_layer=12, n_head=12, vocab_size=50257, n_positions=1024),
    aldm_vocoder=dict(model_in_dim=64, upsample_initial_channel=1024, upsample_rates=[5, 4, 2, 2, 2], upsample_kernel_sizes=[16, 16, 8, 4, 4], resblock_kernel_sizes=[3, 7, 11], resblock_dilation_sizes=[[1, 3, 5]] * 3),
    clap_audio=dict(),
    clap_text=dict(),
    ast=dict(),
    dpo_batch=4,
    lora_rank=16,
    gen_batches=(8, 32),
    fast_steps=100,
    release_steps=250,
    encoder_batch=32,
    timed_steps=3,
)

MID = Scale(
    dit={**FULL.dit, "num_layers": 2},
    sample_size=128,
    oobleck=dict(encoder_hidden_size=32, downsampling_ratios=[2, 4, 4, 8, 8], channel_multiples=[1, 2, 4, 8, 16], decoder_channels=32, decoder_input_channels=64, audio_channels=2),
    t5={**FULL.t5, "num_layers": 2, "vocab_size": 64},
    text_tokens=128,
    aldm_unet=(32, 64, 96, 160),
    aldm_vae=(32, 64, 128),
    aldm_clap=dict(hidden_size=96, num_hidden_layers=2, depths=[1, 1, 1, 1]),
    aldm_t5={**FULL.aldm_t5, "num_layers": 2, "vocab_size": 64},
    aldm_gpt2={**FULL.aldm_gpt2, "n_layer": 2, "vocab_size": 64},
    aldm_vocoder={**FULL.aldm_vocoder, "upsample_initial_channel": 64},
    clap_audio=dict(depths=[1, 1, 1, 1], hidden_size=96),
    clap_text=dict(num_hidden_layers=2, vocab_size=64),
    ast=dict(num_hidden_layers=2),
    dpo_batch=2,
    lora_rank=16,
    gen_batches=(8,),
    fast_steps=10,
    release_steps=25,
    encoder_batch=8,
    timed_steps=2,
    sampling_rate=4410,
    notes=["mid: published widths, 2 DiT / T5 / AST layers, 128 latent frames (window 59 s at a 4.41 kHz VAE rate), 10 fast vs 25 release steps"],
)

TINY = Scale(
    dit=dict(in_channels=4, num_layers=2, attention_head_dim=8, num_attention_heads=2, num_key_value_attention_heads=2, out_channels=4, cross_attention_dim=16, time_proj_dim=8, global_states_input_dim=32, cross_attention_input_dim=16),
    sample_size=32,
    oobleck=dict(encoder_hidden_size=8, downsampling_ratios=[2, 4], channel_multiples=[2, 4], decoder_channels=3, decoder_input_channels=4, audio_channels=2),
    t5=dict(d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=4, vocab_size=64),
    text_tokens=8,
    aldm_unet=(8, 16),
    aldm_vae=(8, 16),
    aldm_clap=dict(hidden_size=16, num_hidden_layers=1, depths=[1, 1], num_attention_heads=[2, 2], window_size=4, spec_size=64, patch_size=2, patch_stride=2, num_mel_bins=16, patch_embeds_hidden_size=16, intermediate_size=37),
    aldm_t5=dict(d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=4, vocab_size=64),
    aldm_gpt2=dict(n_embd=16, n_layer=1, n_head=2, vocab_size=64, n_positions=64),
    aldm_vocoder=dict(model_in_dim=8, upsample_initial_channel=16, upsample_rates=[16, 10], upsample_kernel_sizes=[32, 20], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]]),
    clap_audio=dict(window_size=4, num_mel_bins=16, spec_size=64, patch_size=2, patch_stride=2, hidden_size=32, patch_embeds_hidden_size=16, depths=[2, 2], num_attention_heads=[2, 2], num_hidden_layers=2, intermediate_size=37),
    clap_text=dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=64),
    ast=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, max_length=128, num_mel_bins=32),
    dpo_batch=4,
    lora_rank=4,
    gen_batches=(8,),
    fast_steps=4,
    release_steps=10,
    encoder_batch=4,
    timed_steps=2,
    aldm_groups=4,
    sampling_rate=25,
    notes=["tiny: every model shrunk to a few thousand parameters (window 10.24 s at a 25 Hz VAE rate), 4 fast vs 10 release steps; ratios say nothing about the real sizes"],
)

SCALES = {"tiny": TINY, "mid": MID, "full": FULL}


def word_tokenizer(max_length: int, cls=None):
    """A word-level fast tokenizer over a few words (ids below every vocabulary here)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5TokenizerFast

    if cls is T5TokenizerFast:
        tokenizer = Tokenizer(models.Unigram([(w, -1.0) for w in WORDS], unk_id=WORDS.index("<unk>")))
    else:
        tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    return (cls or PreTrainedTokenizerFast)(tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>", model_max_length=max_length)


def parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def stable_audio_pipeline(scale: Scale, device: str = "cpu"):
    """A ``StableAudioPipeline`` of the scale's sizes (random weights), built on ``device``."""
    from diffusers import AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel, StableAudioPipeline
    from diffusers.pipelines.stable_audio import StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    with torch.device(device):
        transformer = StableAudioDiTModel(sample_size=scale.sample_size, **scale.dit)
        vae = AutoencoderOobleck(**scale.oobleck, sampling_rate=scale.sampling_rate)
        t5 = T5EncoderModel(T5Config(**scale.t5, pad_token_id=0))
        projection = StableAudioProjectionModel(text_encoder_dim=scale.t5["d_model"], conditioning_dim=scale.dit["cross_attention_dim"], min_value=0, max_value=512)
    scheduler = CosineDPMSolverMultistepScheduler(sigma_min=0.3, sigma_max=500, solver_order=2, prediction_type="v_prediction", sigma_data=1.0, sigma_schedule="exponential")
    return StableAudioPipeline(vae=vae, text_encoder=t5, projection_model=projection, tokenizer=word_tokenizer(scale.text_tokens), transformer=transformer, scheduler=scheduler)


def audioldm2_pipeline(scale: Scale, device: str = "cpu"):
    """An ``AudioLDM2Pipeline`` of the scale's sizes (random weights), built on ``device``."""
    from diffusers import AudioLDM2Pipeline, DDIMScheduler
    from transformers import ClapFeatureExtractor, RobertaTokenizerFast, T5TokenizerFast

    torch.manual_seed(0)
    with torch.device(device):
        modules = _audioldm2_modules(scale)
    extractor = ClapFeatureExtractor(feature_size=modules["text_encoder"].config.audio_config.num_mel_bins, sampling_rate=16000, hop_length=160, max_length_s=1, fft_window_size=1024)
    scheduler = DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False)
    return AudioLDM2Pipeline(
        **modules, tokenizer=word_tokenizer(32 if scale is TINY else 512, cls=RobertaTokenizerFast), tokenizer_2=word_tokenizer(scale.text_tokens, cls=T5TokenizerFast),
        feature_extractor=extractor, scheduler=scheduler,
    )


def _audioldm2_modules(scale: Scale) -> dict:
    from diffusers import AudioLDM2ProjectionModel, AudioLDM2UNet2DConditionModel, AutoencoderKL
    from transformers import ClapAudioConfig, ClapConfig, ClapModel, ClapTextConfig, GPT2Config, GPT2LMHeadModel, SpeechT5HifiGan, SpeechT5HifiGanConfig, T5Config, T5EncoderModel

    levels = len(scale.aldm_unet)
    gpt_dim, t5_dim = scale.aldm_gpt2["n_embd"], scale.aldm_t5["d_model"]
    unet = AudioLDM2UNet2DConditionModel(
        in_channels=8, out_channels=8, block_out_channels=scale.aldm_unet, layers_per_block=2, norm_num_groups=scale.aldm_groups, attention_head_dim=8,
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (levels - 1), up_block_types=("CrossAttnUpBlock2D",) * (levels - 1) + ("UpBlock2D",),
        cross_attention_dim=([gpt_dim, t5_dim],) * levels,
    )
    vae = AutoencoderKL(
        block_out_channels=list(scale.aldm_vae), in_channels=1, out_channels=1, norm_num_groups=scale.aldm_groups, latent_channels=8, layers_per_block=2,
        down_block_types=["DownEncoderBlock2D"] * len(scale.aldm_vae), up_block_types=["UpDecoderBlock2D"] * len(scale.aldm_vae),
    )
    clap_audio = {**scale.aldm_clap}
    text = ClapTextConfig(**({"vocab_size": 64, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 37, "max_position_embeddings": 64} if scale is TINY else {}))
    clap = ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=ClapAudioConfig(**clap_audio).to_dict(), projection_dim=512 if scale is not TINY else 16))
    t5 = T5EncoderModel(T5Config(**scale.aldm_t5, pad_token_id=0))
    gpt2 = GPT2LMHeadModel(GPT2Config(**scale.aldm_gpt2, max_new_tokens=8, bos_token_id=1, eos_token_id=2))
    projection = AudioLDM2ProjectionModel(text_encoder_dim=clap.config.projection_dim, text_encoder_1_dim=t5_dim, langauge_model_dim=gpt_dim)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(**scale.aldm_vocoder, sampling_rate=16000, normalize_before=False))
    return {"vae": vae, "text_encoder": clap, "text_encoder_2": t5, "projection_model": projection, "language_model": gpt2, "unet": unet, "vocoder": vocoder}


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def free(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


# (a) one DPO step


def dpo_setup(scale: Scale, device: str, lean: bool):
    """The t2a and the trainable parameters of one setup: LoRA + adapters-off reference + checkpointing, or every weight + a deep copy."""
    from synthio.device import default_dtype
    from synthio.t2a.stable_audio import StableAudioT2A

    t2a = StableAudioT2A(stable_audio_pipeline(scale, device).to(dtype=default_dtype(device) if lean else torch.float32), device=device)
    if lean:
        params = t2a.add_lora(rank=scale.lora_rank)
        t2a.network.enable_gradient_checkpointing()
        held = parameters(t2a.network)
    else:
        reference = copy.deepcopy(t2a.network).requires_grad_(False)
        params = [p.requires_grad_(True) for p in t2a.network.parameters()]

        @contextmanager
        def swapped():
            policy = t2a.pipeline.transformer
            t2a.pipeline.transformer = reference
            try:
                yield
            finally:
                t2a.pipeline.transformer = policy

        t2a.reference = swapped
        held = parameters(t2a.network) + parameters(reference)
    return t2a, params, held


def dpo_step_runner(scale: Scale, device: str, lean: bool):
    """A closure running one DPO step (forward policy + reference, backward, AdamW) at a given batch."""
    from synthio.align.dpo import AlignTrainConfig, step_loss
    from synthio.t2a.base import EncodedAudio

    t2a, params, held = dpo_setup(scale, device, lean)
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    shape = (scale.dit["in_channels"], scale.sample_size)

    def step(batch: int, index: int) -> None:
        latents = torch.randn((batch, *shape), generator=torch.Generator().manual_seed(index))
        winners, losers = EncodedAudio(latents, [10.0] * batch), EncodedAudio(latents.flip(0), [10.0] * batch)
        config = AlignTrainConfig(batch_size=batch, seed=index)
        with torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            loss = step_loss(t2a, winners, losers, list(range(batch)), [PROMPTS[i % len(PROMPTS)] for i in range(batch)], config, index, 0)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    info = {"trainable_parameters": sum(p.numel() for p in params), "parameters_held": held, "reference": "adapters disabled (same weights)" if lean else "deep copy of the DiT"}
    info.update({"lora_rank": scale.lora_rank, "gradient_checkpointing": True, "weights_dtype": str(t2a.network.dtype).replace("torch.", "")} if lean else {"gradient_checkpointing": False, "weights_dtype": "float32"})
    return step, info


def resident_kib(field_name: str) -> int:
    """``VmRSS`` or ``VmHWM`` (peak) of this process from /proc, in KiB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field_name + ":"))


def reset_cpu_peak() -> int:
    """Return freed memory to the OS, reset the peak resident set (Linux ``clear_refs`` 5) and return the resident set now, in KiB."""
    import ctypes

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return resident_kib("VmRSS")


def measure_dpo(scale: Scale, device: str, lean: bool, batch: int, steps: int) -> dict:
    """Peak memory (weights, optimizer, activations) and seconds per step of one setup at ``batch``, built from nothing."""
    baseline = 0 if device.startswith("cuda") else reset_cpu_peak()
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    torch.manual_seed(0)
    step, info = dpo_step_runner(scale, device, lean)
    step(batch, 0)
    synchronize(device)
    started = time.perf_counter()
    for i in range(steps):
        step(batch, i + 1)
    synchronize(device)
    seconds = (time.perf_counter() - started) / steps
    if device.startswith("cuda"):
        peak, source = torch.cuda.max_memory_allocated() / 2**20, "torch.cuda.max_memory_allocated"
    else:
        peak, source = (resident_kib("VmHWM") - baseline) / 2**10, "growth of the peak resident set over the setup (VmHWM after clear_refs, minus VmRSS before)"
    del step
    free(device)
    return {**info, "batch": batch, "seconds_per_step": seconds, "peak_memory_mib": peak, "peak_memory_source": source}


def largest_batch(scale: Scale, device: str, lean: bool, limit_gib: float, cap: int = 256) -> int:
    """The largest power-of-two batch whose DPO step runs with the process capped at ``limit_gib`` (0 if none)."""
    total = torch.cuda.get_device_properties(0).total_memory / GIB
    free(device)
    torch.cuda.set_per_process_memory_fraction(min(1.0, limit_gib / total))
    fits, batch, step = 0, 1, None
    try:
        step, _ = dpo_step_runner(scale, device, lean)
        while batch <= cap:
            step(batch, batch)
            synchronize(device)
            fits, batch = batch, batch * 2
    except torch.cuda.OutOfMemoryError:
        pass
    finally:
        del step
        free(device)
        torch.cuda.set_per_process_memory_fraction(1.0)
    return fits


def bench_dpo(scale_name: str, device: str) -> dict:
    scale = SCALES[scale_name]
    release = measure_dpo(scale, device, False, scale.dpo_batch, scale.timed_steps)
    lean = measure_dpo(scale, device, True, scale.dpo_batch, scale.timed_steps)
    result = {
        "batch": scale.dpo_batch,
        "lean": lean,
        "release_style": release,
        "ratio_peak_memory": lean["peak_memory_mib"] / release["peak_memory_mib"],
        "ratio_seconds_per_step": lean["seconds_per_step"] / release["seconds_per_step"],
        "ratio_parameters_held": lean["parameters_held"] / release["parameters_held"],
    }
    if device.startswith("cuda"):
        result["largest_batch"] = {f"{gib} GB": {"lean": largest_batch(scale, device, True, gib * 1e9 / GIB), "release_style": largest_batch(scale, device, False, gib * 1e9 / GIB)} for gib in (24, 80)}
    else:
        result["largest_batch"] = "n/a on CPU (no device memory to fill)"
    return result


# (b) generation


def clips_per_second(t2a, batch: int, seconds: float, steps: int) -> float:
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(batch)]
    started = time.perf_counter()
    t2a.sample(prompts, [seconds] * batch, steps, 7.0, list(range(batch)))
    synchronize(t2a.device)
    return batch / (time.perf_counter() - started)


def bench_generation(name: str, t2a, scale: Scale, durations: tuple[float, ...]) -> dict:
    """Clips per second: one clip per call at the release's steps, and batches at the fast sampler's."""
    clips_per_second(t2a, 1, durations[0], 2)
    out = {"model": name, "fast_steps": scale.fast_steps, "release_steps": scale.release_steps}
    for seconds in durations:
        one = clips_per_second(t2a, 1, seconds, scale.release_steps)
        batched: dict[str, float | None] = {}
        for b in scale.gen_batches:
            try:
                batched[str(b)] = clips_per_second(t2a, b, seconds, scale.fast_steps)
            except torch.cuda.OutOfMemoryError:
                batched[str(b)] = None
                free(t2a.device)
        best = max((v for v in batched.values() if v is not None), default=0.0)
        out[f"{seconds:g}s"] = {"one_clip_per_call_clips_per_second": one, "batched_clips_per_second": batched, "speedup": best / one}
    return out


# (c) encoders


def bench_encoders(scale: Scale, device: str) -> dict:
    """Forward clips per second of the CLAP audio tower (10-s clips at 48 kHz, fused off) and of AST (1024 frames x 128 mel bins at full size)."""
    from transformers import ASTConfig, ASTForAudioClassification, ClapAudioConfig, ClapConfig, ClapModel, ClapTextConfig

    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(0)
    clap = ClapModel(ClapConfig(text_config=ClapTextConfig(**scale.clap_text).to_dict(), audio_config=ClapAudioConfig(**scale.clap_audio).to_dict())).to(device, dtype).eval()
    ast = ASTForAudioClassification(ASTConfig(**scale.ast, num_labels=527)).to(device, dtype).eval()
    audio = clap.config.audio_config
    frames = 1001 if scale is FULL else audio.spec_size
    clap_input = torch.randn(scale.encoder_batch, 1, frames, audio.num_mel_bins, device=device, dtype=dtype)
    ast_input = torch.randn(scale.encoder_batch, ast.config.max_length, ast.config.num_mel_bins, device=device, dtype=dtype)
    out = {"batch": scale.encoder_batch}
    for name, model, call in (("clap_audio", clap, lambda: clap.get_audio_features(input_features=clap_input)), ("ast", ast, lambda: ast(input_values=ast_input))):
        with torch.no_grad():
            call()
            synchronize(device)
            started = time.perf_counter()
            repeats = 3
            for _ in range(repeats):
                call()
            synchronize(device)
        out[name] = {"parameters": parameters(model), "clips_per_second": repeats * scale.encoder_batch / (time.perf_counter() - started)}
    out["clap_audio"]["input"] = f"{frames} frames x {audio.num_mel_bins} mel bins (10 s at 48 kHz, hop 480)" if scale is FULL else f"{frames} x {audio.num_mel_bins}"
    out["ast"]["input"] = f"{ast.config.max_length} frames x {ast.config.num_mel_bins} mel bins"
    return out


def model_sizes(scale: Scale) -> dict:
    sao, aldm = stable_audio_pipeline(scale, "meta"), audioldm2_pipeline(scale, "meta")
    return {
        "stable_audio": {"dit": parameters(sao.transformer), "oobleck_vae": parameters(sao.vae), "t5": parameters(sao.text_encoder), "window_seconds": scale.sample_size * sao.vae.hop_length / scale.sampling_rate},
        "audioldm2": {"unet": parameters(aldm.unet), "vae": parameters(aldm.vae), "clap": parameters(aldm.text_encoder), "t5": parameters(aldm.text_encoder_2), "gpt2": parameters(aldm.language_model), "vocoder": parameters(aldm.vocoder)},
    }


PARTS = ("dpo", "generation", "encoders")


def run(scale_name: str, device: str, parts: tuple[str, ...] = PARTS) -> dict:
    scale = SCALES[scale_name]
    started = time.perf_counter()
    result = {
        "scale": scale_name,
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else f"cpu: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "torch": torch.__version__,
        "notes": scale.notes,
        "parameters": model_sizes(scale),
    }
    if "dpo" in parts:
        result["dpo"] = bench_dpo(scale_name, device)
        print(f"DPO done at {time.perf_counter() - started:.0f} s", file=sys.stderr)
        free(device)
    if "generation" in parts:
        result["generation"] = bench_all_generation(scale, device, started)
    if "encoders" in parts:
        result["encoders"] = bench_encoders(scale, device)
    result["seconds"] = time.perf_counter() - started
    return result


def bench_all_generation(scale: Scale, device: str, started: float) -> list[dict]:
    """(b) for Stable Audio (its own sampler) and AudioLDM2 (DPM-Solver++ 2M)."""
    from synthio.device import default_dtype
    from synthio.t2a.audioldm2 import AudioLDM2T2A
    from synthio.t2a.stable_audio import StableAudioT2A

    sao = StableAudioT2A(stable_audio_pipeline(scale, device).to(dtype=default_dtype(device)), device=device)
    generation = [bench_generation("stable-audio", sao, scale, (4.0, 10.0))]
    generation[0]["sampler"] = "dpmpp-2m-sde (the checkpoint's cosine DPM-Solver++) for both"
    del sao
    free(device)
    print(f"Stable Audio generation done at {time.perf_counter() - started:.0f} s", file=sys.stderr)
    aldm = AudioLDM2T2A(audioldm2_pipeline(scale, device).to(dtype=default_dtype(device)), device=device, sampler="dpmpp-2m")
    generation.append(bench_generation("audioldm2", aldm, scale, (4.0, 10.0)))
    generation[1]["sampler"] = "dpmpp-2m (DPMSolverMultistepScheduler) for both"
    del aldm
    free(device)
    print(f"AudioLDM2 generation done at {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return generation


def table(result: dict) -> str:
    lines = [f"scale {result['scale']} on {result['device']} ({result['seconds']:.0f} s)", ""]
    if "dpo" in result:
        lines += dpo_lines(result["dpo"])
    if "generation" in result:
        lines += generation_lines(result["generation"])
    if "encoders" in result:
        enc = result["encoders"]
        lines += ["", f"(c) forward throughput, batch {enc['batch']}"]
        for name in ("clap_audio", "ast"):
            lines.append(f"  {name:<10} {enc[name]['parameters']:>12,} parameters  {enc[name]['clips_per_second']:.1f} clips/s  ({enc[name]['input']})")
    return "\n".join(lines)


def dpo_lines(dpo: dict) -> list[str]:
    lean, release = dpo["lean"], dpo["release_style"]
    return [
        f"(a) DPO step, batch {dpo['batch']}      lean (LoRA + adapters-off reference + checkpointing)   release style (full weights + deep-copied reference)   ratio",
        f"  parameters held               {lean['parameters_held']:>14,}   {release['parameters_held']:>14,}   {dpo['ratio_parameters_held']:.2f}",
        f"  trainable parameters          {lean['trainable_parameters']:>14,}   {release['trainable_parameters']:>14,}",
        f"  peak memory (MiB)             {lean['peak_memory_mib']:>14.1f}   {release['peak_memory_mib']:>14.1f}   {dpo['ratio_peak_memory']:.2f}",
        f"  seconds per step              {lean['seconds_per_step']:>14.3f}   {release['seconds_per_step']:>14.3f}   {dpo['ratio_seconds_per_step']:.2f}",
        f"  largest batch: {json.dumps(dpo['largest_batch'])}",
    ]


def generation_lines(generation: list[dict]) -> list[str]:
    lines = ["", "(b) generation: clips per second"]
    for g in generation:
        for key in ("4s", "10s"):
            row = g[key]
            batched = ", ".join(f"batch {b}: " + (f"{v:.3f}" if v is not None else "out of memory") for b, v in row["batched_clips_per_second"].items())
            lines.append(f"  {g['model']:<12} {key:>4}: one clip/call at {g['release_steps']} steps {row['one_clip_per_call_clips_per_second']:.3f}; {g['fast_steps']} steps {batched}; speed-up {row['speedup']:.1f}x")
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default=None, help="default: full on CUDA, tiny on CPU")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset of " + ",".join(PARTS))
    parser.add_argument("--out", default=None, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    scale = args.scale or ("full" if args.device.startswith("cuda") else "tiny")
    parts = tuple(args.parts.split(","))
    if not set(parts) <= set(PARTS):
        parser.error(f"--parts: choose from {', '.join(PARTS)}")
    result = run(scale, args.device, parts)
    print(table(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
