"""The lecture this course follows, chapter by chapter: one table, from which docs/LECTURE.md's
"Following the lecture" section and every notebook's banner are drawn (a test holds them to it).

The chapters and their times are those of the video's own description (checked against several
public copies of it); so are the two corrections the author lists there.
"""

VIDEO = "https://www.youtube.com/watch?v=kCc8FmEb1nY"
TITLE = "Let's build GPT: from scratch, in code, spelled out."

# (start, chapter title as in the video's description, the notebook that covers it)
CHAPTERS = [
    (
        "0:00:00",
        "intro: ChatGPT, Transformers, nanoGPT, Shakespeare; baseline language modeling, code setup",
        "00",
    ),
    ("0:07:52", "reading and exploring the data", "01"),
    ("0:09:28", "tokenization, train/val split", "01"),
    ("0:14:27", "data loader: batches of chunks of data", "02"),
    ("0:22:11", "simplest baseline: bigram language model, loss, generation", "03"),
    ("0:34:53", "training the bigram model", "03"),
    ("0:38:00", "port our code to a script", "03"),
    (
        "0:42:13",
        "version 1: averaging past context with for loops, the weakest form of aggregation",
        "04",
    ),
    ("0:47:11", "the trick in self-attention: matrix multiply as weighted aggregation", "04"),
    ("0:51:54", "version 2: using matrix multiply", "04"),
    ("0:54:42", "version 3: adding softmax", "04"),
    ("0:58:26", "minor code cleanup", "04"),
    ("1:00:18", "positional encoding", "05"),
    ("1:02:00", "THE CRUX OF THE VIDEO: version 4: self-attention", "05"),
    ("1:11:38", "note 1: attention as communication", "05"),
    ("1:12:46", "note 2: attention has no notion of space, operates over sets", "05"),
    ("1:13:40", "note 3: there is no communication across batch dimension", "05"),
    ("1:14:14", "note 4: encoder blocks vs. decoder blocks", "05"),
    ("1:15:39", "note 5: attention vs. self-attention vs. cross-attention", "05"),
    ("1:16:56", 'note 6: "scaled" self-attention. why divide by sqrt(head_size)', "05"),
    ("1:19:11", "inserting a single self-attention block to our network", "05"),
    ("1:21:59", "multi-headed self-attention", "06"),
    ("1:24:25", "feedforward layers of transformer block", "07"),
    ("1:26:48", "residual connections", "07"),
    ("1:32:51", "layernorm (and its relationship to our previous batchnorm)", "07"),
    ("1:37:49", "scaling up the model! creating a few variables. adding dropout", "08"),
    ("1:42:39", "encoder vs. decoder vs. both (?) Transformers", "08"),
    ("1:46:22", "super quick walkthrough of nanoGPT, batched multi-headed self-attention", "08"),
    ("1:48:53", "back to ChatGPT, GPT-3, pretraining vs. finetuning, RLHF", "10"),
    ("1:54:32", "conclusions", "10"),
]

# The corrections the video's description lists, and where this course applies them.
CORRECTIONS = [
    (
        "0:57:00",
        'said "tokens from the past cannot communicate"; it is the future that cannot',
        "04",
    ),
    (
        "1:20:05",
        "the scores are scaled by head_size ** -0.5, not C ** -0.5 as typed on screen",
        "05",
    ),
]

# What a notebook leaves to the video among the chapters listed for it.
REMARKS = {
    "03": "The lecture then moves its code into a script (bigram.py); here `helpers/` keeps each piece.",
    "05": "Notes 1 to 6 are summed up here, notes 2 and 3 checked on a head.",
    "07": "LayerNorm is also written by hand here, and set beside BatchNorm.",
    "08": "The encoder/decoder notes are in the video only; the nanoGPT walkthrough's batched "
    "attention is this notebook's CausalSelfAttention.",
    "10": "These last chapters are talk, in the video only; this notebook is the course's own "
    "playground.",
}

# The notebooks that go beyond the lecture: no chapter covers them, and their banner says so.
BEYOND = {
    "09": "the lecture trains its scaled-up model for 5,000 steps at one learning rate and stops. A long run needs more: a schedule, evaluation on the whole validation text, checkpoints, a faster sampler and the GPU's own tricks; nanoGPT, which the lecture walks through at 1:46:22, has each of them.",
    "11": "the lecture builds the GPT of 2017-2019 and stops there. What open models changed since "
    "(RoPE, RMSNorm, SwiGLU, no biases, tied embeddings, QK-norm) comes from later papers and "
    "code, measured here at the lecture's scale; the model you start from is the one of its "
    "nanoGPT walkthrough at 1:46:22.",
    "12": "the lecture trains with AdamW at one learning rate. Muon, the warmup-stable-decay "
    "schedule and a KV cache that slides past the context come from speedrun code and recent papers, "
    "measured here at the lecture's scale.",
    "13": "training on several GPUs is not part of the lecture, which trains on one. nanoGPT, the "
    "repository it walks through at 1:46:22, does what this notebook does: its "
    "train.py runs under torchrun with DistributedDataParallel.",
}

# The sequel lecture, on the tokenizer (notebook 14): the chapters of its video's description
# that the notebook covers. The others (the web UI, SentencePiece, multimodal tokens, the quirks
# of LLMs traced to tokens) are talk, in the video only.
SEQUEL_VIDEO = "https://www.youtube.com/watch?v=zduSFxRajkE"
SEQUEL_TITLE = "Let's build the GPT Tokenizer"
SEQUEL_CHAPTERS = [
    ("0:14:56", "strings in Python, Unicode code points", "14"),
    ("0:18:15", "Unicode byte encodings, ASCII, UTF-8, UTF-16, UTF-32", "14"),
    ("0:23:50", "Byte Pair Encoding (BPE) algorithm walkthrough", "14"),
    ("0:27:02", "starting the implementation", "14"),
    ("0:28:35", "counting consecutive pairs, finding most common pair", "14"),
    ("0:30:36", "merging the most common pair", "14"),
    ("0:34:58", "training the tokenizer: adding the while loop, compression ratio", "14"),
    ("0:42:47", "decoding tokens to strings", "14"),
    ("0:48:21", "encoding strings to tokens", "14"),
    ("0:57:36", "regex patterns to force splits across categories", "14"),
    ("1:11:38", "tiktoken library intro, differences between GPT-2/GPT-4 regex", "14"),
    ("1:18:26", "special tokens, tiktoken handling of, GPT-2/GPT-4 differences", "14"),
    ("1:43:27", "how to set vocabulary set? revisiting gpt.py transformer", "14"),
]

BANNER_START = "<!-- lecture-banner -->"  # the notebook's first cell holds the banner after this


def seconds(stamp):
    h, m, s = (int(part) for part in stamp.split(":"))
    return 3600 * h + 60 * m + s


def link(stamp, video=VIDEO):
    return f"[{stamp}]({video}&t={seconds(stamp)}s)"


def banner(number):
    """The markdown banner of notebook `number` ("00" ... "14"): the chapters it covers, linked.
    A notebook beyond the lecture (BEYOND) says that it is, and why."""
    sequel = [(stamp, title) for stamp, title, nb in SEQUEL_CHAPTERS if nb == number]
    if sequel:
        lines = [BANNER_START, f"**In the sequel lecture** ([{SEQUEL_TITLE}]({SEQUEL_VIDEO})):"]
        lines += [
            f"{link(stamp, SEQUEL_VIDEO)} {title}" + ("  " if i < len(sequel) - 1 else "")
            for i, (stamp, title) in enumerate(sequel)
        ]
        return "\n".join(lines)
    chapters = [(stamp, title) for stamp, title, nb in CHAPTERS if nb == number]
    if not chapters:
        if number not in BEYOND:
            raise ValueError(f"notebook {number} has no chapter of the lecture and no BEYOND note.")
        note = BEYOND[number].replace("1:46:22", link("1:46:22"))
        return "\n".join([BANNER_START, f"**Not in the lecture** ([{TITLE}]({VIDEO})): {note}"])
    lines = [BANNER_START, f"**In the lecture** ([{TITLE}]({VIDEO})):"]
    lines += [
        f"{link(stamp)} {title}" + ("  " if i < len(chapters) - 1 else "")
        for i, (stamp, title) in enumerate(chapters)
    ]
    if number in REMARKS:
        lines += ["", f"*{REMARKS[number]}*"]
    fixes = [(stamp, what) for stamp, what, nb in CORRECTIONS if nb == number]
    if fixes:
        lines.append("")
        lines += [
            f"*Correction from the video's description, {link(stamp)}:* {what}."
            for stamp, what in fixes
        ]
    return "\n".join(lines)


def readme_table():
    """docs/LECTURE.md's table: every chapter, its time, and the notebook that covers it; then
    the sequel lecture's chapters that notebook 14 covers."""
    rows = ["| time | chapter of the lecture | notebook |", "|---:|---|---|"]
    rows += [f"| {link(stamp)} | {title} | {nb} |" for stamp, title, nb in CHAPTERS]
    rows += ["", f"The sequel, [{SEQUEL_TITLE}]({SEQUEL_VIDEO}), in notebook 14:", ""]
    rows += ["| time | chapter of the sequel | notebook |", "|---:|---|---|"]
    rows += [
        f"| {link(stamp, SEQUEL_VIDEO)} | {title} | {nb} |" for stamp, title, nb in SEQUEL_CHAPTERS
    ]
    return "\n".join(rows)
