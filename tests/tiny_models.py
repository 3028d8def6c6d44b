"""Tiny random configs of real model classes, built and saved by the tests (never downloaded)."""

from __future__ import annotations

from pathlib import Path

WORDS = ["<pad>", "<s>", "</s>", "<unk>", "sound", "of", "a", "dog", "siren", "bark", "barks", "car", "horn", "rain", "in", "the", "street", "{", "}"]


def word_tokenizer(max_length: int = 32, cls=None):
    """A word-level fast tokenizer over ``WORDS`` with RoBERTa-style special tokens (as ``cls``, default PreTrainedTokenizerFast)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5TokenizerFast

    if cls is T5TokenizerFast:  # T5 reloads its vocabulary as unigram pieces
        tokenizer = Tokenizer(models.Unigram([(w, -1.0) for w in WORDS], unk_id=WORDS.index("<unk>")))
    else:
        tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    return (cls or PreTrainedTokenizerFast)(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>", model_max_length=max_length
    )


def save_tiny_clap(folder: Path) -> Path:
    """A random ``ClapModel`` (HTSAT audio, RoBERTa text) with a 16 kHz extractor, saved to ``folder``."""
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapTextConfig

    audio = ClapAudioConfig(
        window_size=4, num_mel_bins=16, spec_size=64, patch_size=2, patch_stride=2, hidden_size=32, patch_embeds_hidden_size=16,
        projection_dim=32, depths=[2, 2], num_attention_heads=[2, 2], num_hidden_layers=2, intermediate_size=37, enable_fusion=False,
    )
    text = ClapTextConfig(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, projection_dim=32, max_position_embeddings=64)
    ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=32)).save_pretrained(folder)
    ClapFeatureExtractor(
        feature_size=16, sampling_rate=16000, hop_length=160, max_length_s=1, fft_window_size=1024, truncation="rand_trunc", padding="repeatpad"
    ).save_pretrained(folder)
    word_tokenizer().save_pretrained(folder)
    return folder


def save_tiny_whisper(folder: Path) -> Path:
    """A random ``WhisperForConditionalGeneration`` with a 1-s, 16-band extractor and the word tokenizer."""
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    config = WhisperConfig(
        vocab_size=len(WORDS), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=16, max_source_positions=50, max_target_positions=32,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1, suppress_tokens=None, begin_suppress_tokens=None,
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config.forced_decoder_ids = None
    model.save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=16, chunk_length=1, sampling_rate=16000).save_pretrained(folder)
    word_tokenizer().save_pretrained(folder)
    return folder


def tiny_stable_audio_pipeline():
    """A random ``StableAudioPipeline``: 2-layer DiT, small Oobleck VAE (hop 8, 1000 Hz), tiny T5."""
    import torch
    from diffusers import AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel, StableAudioPipeline
    from diffusers.pipelines.stable_audio import StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    transformer = StableAudioDiTModel(
        sample_size=32, in_channels=4, num_layers=2, attention_head_dim=8, num_attention_heads=2, num_key_value_attention_heads=2,
        out_channels=4, cross_attention_dim=16, time_proj_dim=8, global_states_input_dim=32, cross_attention_input_dim=16,
    )
    vae = AutoencoderOobleck(
        encoder_hidden_size=8, downsampling_ratios=[2, 4], decoder_channels=3, decoder_input_channels=4, audio_channels=2,
        channel_multiples=[2, 4], sampling_rate=1000,
    )
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(WORDS), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2, pad_token_id=0))
    projection = StableAudioProjectionModel(text_encoder_dim=16, conditioning_dim=16, min_value=0, max_value=32)
    scheduler = CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction", sigma_data=1.0, sigma_schedule="exponential")
    tokenizer = word_tokenizer(max_length=8)
    return StableAudioPipeline(vae=vae, text_encoder=text_encoder, projection_model=projection, tokenizer=tokenizer, transformer=transformer, scheduler=scheduler)


def tiny_audioldm2_pipeline():
    """A random ``AudioLDM2Pipeline``: tiny CLAP + T5 + GPT-2 conditioning, 2-level UNet and VAE, 8-band vocoder at 16 kHz."""
    import torch
    from diffusers import AudioLDM2Pipeline, AudioLDM2ProjectionModel, AudioLDM2UNet2DConditionModel, AutoencoderKL, DDIMScheduler
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
        GPT2Config,
        GPT2LMHeadModel,
        RobertaTokenizerFast,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
        T5TokenizerFast,
    )

    torch.manual_seed(0)
    unet = AudioLDM2UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([16, 16], [16, 16]), attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16], in_channels=1, out_channels=1, norm_num_groups=4, latent_channels=4,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"], up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
    )
    audio = ClapAudioConfig(
        window_size=4, num_mel_bins=16, spec_size=64, patch_size=2, patch_stride=2, hidden_size=32, patch_embeds_hidden_size=16,
        projection_dim=16, depths=[2, 2], num_attention_heads=[2, 2], num_hidden_layers=2, intermediate_size=37, enable_fusion=False,
    )
    text = ClapTextConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, projection_dim=16, max_position_embeddings=64)
    clap = ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16))
    t5 = T5EncoderModel(T5Config(vocab_size=len(WORDS), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2, pad_token_id=0))
    gpt2 = GPT2LMHeadModel(GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=len(WORDS), n_positions=64, max_new_tokens=4, bos_token_id=1, eos_token_id=2))
    projection = AudioLDM2ProjectionModel(text_encoder_dim=16, text_encoder_1_dim=16, langauge_model_dim=16)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16, upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], normalize_before=False,
    ))
    extractor = ClapFeatureExtractor(feature_size=16, sampling_rate=16000, hop_length=160, max_length_s=1, fft_window_size=1024, truncation="rand_trunc", padding="repeatpad")
    scheduler = DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False)
    return AudioLDM2Pipeline(
        vae=vae, text_encoder=clap, text_encoder_2=t5, projection_model=projection, language_model=gpt2, tokenizer=word_tokenizer(cls=RobertaTokenizerFast),
        tokenizer_2=word_tokenizer(cls=T5TokenizerFast), feature_extractor=extractor, unet=unet, scheduler=scheduler, vocoder=vocoder,
    )
