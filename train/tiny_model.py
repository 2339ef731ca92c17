"""A tiny random causal LM with a byte-level BPE tokenizer, built offline in about a second.

Tests and smoke runs need a real Hugging Face checkpoint folder that ``AutoModelForCausalLM``,
``AutoTokenizer`` and ``lm_eval --model hf --model_args pretrained=DIR`` load without the
Hub. This module writes one: a randomly initialised ``LlamaForCausalLM`` (a few layers of
width 64) and a byte-level BPE tokenizer trained locally with the ``tokenizers`` library on
a small built-in multilingual corpus. Byte-level means every string in every script
tokenizes (unknown characters fall back to their UTF-8 bytes). The same seed gives the
same weights and the same tokenizer.

Command line: ``xfer tiny-model OUT [--vocab-size N] [--hidden-size N] [--layers N]
[--heads N] [--seed N] [--force]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

# A few sentences in many scripts, written for this file, so the BPE merges cover more
# than ASCII. Byte fallback makes any other text tokenizable too.
BUILTIN_CORPUS: tuple[str, ...] = (
    "The cat sleeps on the warm windowsill while the rain falls outside.",
    "Does training on English tasks help a model understand other languages?",
    "We measured accuracy, precision, recall and F1 on every language pair.",
    "Die Katze schläft auf der warmen Fensterbank, während es draußen regnet.",
    "Le chat dort sur le rebord chaud de la fenêtre pendant qu'il pleut dehors.",
    "El gato duerme en el alféizar cálido mientras llueve afuera.",
    "O gato dorme no parapeito quente enquanto chove lá fora.",
    "Il gatto dorme sul davanzale caldo mentre fuori piove.",
    "De kat slaapt op de warme vensterbank terwijl het buiten regent.",
    "Kot śpi na ciepłym parapecie, a na zewnątrz pada deszcz.",
    "Kissa nukkuu lämpimällä ikkunalaudalla, kun ulkona sataa.",
    "Kedi dışarıda yağmur yağarken sıcak pencere pervazında uyuyor.",
    "Paka analala kwenye dirisha lenye joto wakati mvua inanyesha nje.",
    "Con mèo ngủ trên bậu cửa sổ ấm áp trong khi trời mưa bên ngoài.",
    "Kucing itu tidur di ambang jendela yang hangat saat hujan turun di luar.",
    "Кошка спит на тёплом подоконнике, пока за окном идёт дождь.",
    "Котката спи на топлия перваз, докато навън вали дъжд.",
    "Η γάτα κοιμάται στο ζεστό περβάζι ενώ έξω βρέχει.",
    "החתול ישן על אדן החלון החם בזמן שיורד גשם בחוץ.",
    "القطة تنام على حافة النافذة الدافئة بينما تمطر في الخارج.",
    "گربه روی لبه گرم پنجره می‌خوابد در حالی که بیرون باران می‌بارد.",
    "बिल्ली गर्म खिड़की पर सोती है जबकि बाहर बारिश हो रही है।",
    "বিড়ালটি উষ্ণ জানালার ধারে ঘুমায় যখন বাইরে বৃষ্টি পড়ে।",
    "பூனை சூடான ஜன்னல் ஓரத்தில் தூங்குகிறது, வெளியே மழை பெய்கிறது.",
    "పిల్లి వెచ్చని కిటికీ అంచుపై నిద్రపోతుంది, బయట వర్షం పడుతోంది.",
    "แมวนอนอยู่บนขอบหน้าต่างที่อบอุ่นขณะที่ฝนตกข้างนอก",
    "კატას სძინავს თბილ ფანჯრის რაფაზე, სანამ გარეთ წვიმს.",
    "猫在温暖的窗台上睡觉，外面正在下雨。",
    "猫は外で雨が降っている間、暖かい窓辺で眠っています。",
    "고양이는 밖에 비가 내리는 동안 따뜻한 창턱에서 잔다.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000; punctuation: , . ; : ! ? ( ) [ ] \" ' -",
)

SPECIAL_TOKENS = {
    "unk_token": "<unk>",
    "bos_token": "<s>",
    "eos_token": "</s>",
    "pad_token": "<pad>",
}


def train_tokenizer(corpus: Iterable[str], vocab_size: int):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on ``corpus`` (deterministic)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIAL_TOKENS.values())
    tokenizer = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, model_max_length=512, **SPECIAL_TOKENS
    )


def build_tiny_causal_lm(
    out_dir: Path,
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    seed: int = 0,
    corpus: Iterable[str] | None = None,
) -> Path:
    """Write a tiny random ``LlamaForCausalLM`` + byte-level BPE tokenizer to ``out_dir``.

    The folder loads with ``AutoModelForCausalLM.from_pretrained`` / ``AutoTokenizer`` and
    with ``lm_eval --model hf --model_args pretrained=out_dir``, offline. ``corpus``
    replaces the built-in tokenizer-training sentences. Returns ``out_dir``.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(
            f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (byte alphabet + specials), got {vocab_size}"
        )
    if hidden_size % heads:
        raise ValueError(f"hidden_size ({hidden_size}) must be divisible by heads ({heads})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    tokenizer = train_tokenizer(BUILTIN_CORPUS if corpus is None else corpus, vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    finally:
        torch.random.set_rng_state(generator_state)
    model.eval()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xfer tiny-model",
        description="Build a tiny random causal LM + byte-level BPE tokenizer (offline, seconds).",
    )
    parser.add_argument("out", type=Path, help="output folder (a Hugging Face checkpoint folder)")
    parser.add_argument("--vocab-size", type=int, default=512)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    args = parser.parse_args(argv)

    if args.out.exists() and not args.out.is_dir():
        parser.error(f"{args.out} exists and is not a folder")
    if args.out.is_dir() and any(args.out.iterdir()) and not args.force:
        parser.error(f"{args.out} is not empty; pass --force to overwrite")
    try:
        path = build_tiny_causal_lm(
            args.out,
            vocab_size=args.vocab_size,
            hidden_size=args.hidden_size,
            layers=args.layers,
            heads=args.heads,
            seed=args.seed,
        )
    except ValueError as err:
        parser.error(str(err))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
