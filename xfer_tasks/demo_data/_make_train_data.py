"""Write the demo's English intermediate-task data in the official release layouts.

Written for this project (not taken from MultiNLI, SQuAD or CommonsenseQA): a few dozen items
per task, enough for a smoke-scale training run that shows the pipeline working. Run
``python _make_train_data.py`` to regenerate ``train/``.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "train"

NLI = [
    ("A man is riding a bicycle along the river.", "Someone is cycling.", "entailment"),
    ("A man is riding a bicycle along the river.", "The man is on his way to work.", "neutral"),
    ("A man is riding a bicycle along the river.", "The man is swimming in the river.", "contradiction"),
    ("Two women are cooking dinner in a small kitchen.", "People are preparing food.", "entailment"),
    ("Two women are cooking dinner in a small kitchen.", "The women are sisters.", "neutral"),
    ("Two women are cooking dinner in a small kitchen.", "The kitchen is empty.", "contradiction"),
    ("The shop closes at six in the evening.", "The shop is not open at night.", "entailment"),
    ("The shop closes at six in the evening.", "The shop sells shoes.", "neutral"),
    ("The shop closes at six in the evening.", "The shop is open all night.", "contradiction"),
    ("A dog is sleeping under the table.", "An animal is under the table.", "entailment"),
    ("A dog is sleeping under the table.", "The dog belongs to a child.", "neutral"),
    ("A dog is sleeping under the table.", "The dog is running in the park.", "contradiction"),
    ("The students finished their exams on Friday.", "The exams are over.", "entailment"),
    ("The students finished their exams on Friday.", "The exams were difficult.", "neutral"),
    ("The students finished their exams on Friday.", "The students have not started their exams.", "contradiction"),
    ("It snowed heavily in the mountains last night.", "There is snow in the mountains.", "entailment"),
    ("It snowed heavily in the mountains last night.", "The roads will be closed tomorrow.", "neutral"),
    ("It snowed heavily in the mountains last night.", "The mountains were dry and warm last night.", "contradiction"),
    ("A girl is reading a book on the train.", "A child is reading.", "entailment"),
    ("A girl is reading a book on the train.", "The book is about dragons.", "neutral"),
    ("A girl is reading a book on the train.", "The girl is asleep at home.", "contradiction"),
    ("The old bridge was repaired in the spring.", "Work was done on the bridge.", "entailment"),
    ("The old bridge was repaired in the spring.", "The repair was expensive.", "neutral"),
    ("The old bridge was repaired in the spring.", "Nobody has ever touched the old bridge.", "contradiction"),
]

# (stem, concept, five choices, answer letter)
CSQA = [
    ("Where would you keep milk so that it stays cold?", "milk", ["refrigerator", "oven", "bookshelf", "garden", "car roof"], "A"),
    ("What do people use to cut paper?", "paper", ["spoon", "scissors", "pillow", "cup", "blanket"], "B"),
    ("Where do you go to borrow books for free?", "books", ["bakery", "garage", "library", "stadium", "airport"], "C"),
    ("What does a person do when they are tired at night?", "tired", ["dance", "shout", "paint", "sleep", "run"], "D"),
    ("What falls from clouds on a rainy day?", "rain", ["sand", "leaves", "feathers", "coins", "water"], "E"),
    ("Where would you see many fish swimming together?", "fish", ["ocean", "desert", "attic", "chimney", "closet"], "A"),
    ("What do you need to open a locked door?", "door", ["hammer", "key", "apple", "towel", "candle"], "B"),
    ("Where do most people buy fresh vegetables?", "vegetables", ["bank", "cinema", "market", "post office", "gym"], "C"),
    ("What do birds use to fly?", "birds", ["feet", "beaks", "tails", "wings", "eyes"], "D"),
    ("What would you wear on your feet in the snow?", "snow", ["hat", "gloves", "scarf", "belt", "boots"], "E"),
    ("Where does a pilot work?", "pilot", ["airplane", "kitchen", "farm", "library", "boat yard"], "A"),
    ("What do people drink when they are thirsty?", "thirsty", ["bread", "water", "salt", "rice", "sugar"], "B"),
    ("Where would a child learn to read?", "read", ["stable", "factory", "school", "prison", "harbour"], "C"),
    ("What do you use to write on a blackboard?", "blackboard", ["brush", "needle", "spoon", "chalk", "fork"], "D"),
    ("What keeps you dry when it rains?", "rain", ["sunglasses", "sandals", "fan", "kite", "umbrella"], "E"),
    ("What shines in the sky during the day?", "sky", ["sun", "lamp", "moon", "stars", "candle"], "A"),
]

# (title, context, [(question, answer)])
SQUAD = [
    ("Danube", "The Danube is the second-longest river in Europe. It rises in the Black Forest in Germany and flows east for about 2,850 kilometres into the Black Sea.",
     [("Where does the Danube rise?", "the Black Forest"), ("Into which sea does the Danube flow?", "the Black Sea"), ("How long is the Danube?", "about 2,850 kilometres")]),
    ("Telescope", "The first practical telescopes were made in the Netherlands in 1608. Galileo Galilei improved the design a year later and used it to observe the moons of Jupiter.",
     [("Where were the first practical telescopes made?", "the Netherlands"), ("When were the first practical telescopes made?", "1608"), ("What did Galileo observe?", "the moons of Jupiter")]),
    ("Honey bees", "Honey bees live in colonies led by a single queen. Worker bees collect nectar from flowers and turn it into honey, which the colony eats during the winter.",
     [("Who leads a colony of honey bees?", "a single queen"), ("What do worker bees collect?", "nectar"), ("When does the colony eat honey?", "during the winter")]),
    ("Marathon", "The marathon is a running race of 42.195 kilometres. The distance was fixed at the 1908 Olympic Games in London and became the standard in 1921.",
     [("How long is a marathon?", "42.195 kilometres"), ("Where were the 1908 Olympic Games held?", "London"), ("When did the distance become the standard?", "1921")]),
]  # fmt: skip


def write_mnli() -> None:
    folder = OUT / "mnli" / "multinli_1.0"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "multinli_1.0_train.jsonl", "w", encoding="utf-8") as f:
        for i, (premise, hypothesis, label) in enumerate(NLI):
            row = {"annotator_labels": [label], "genre": "demo", "gold_label": label, "pairID": f"demo{i}",
                   "promptID": f"demo{i // 3}", "sentence1": premise, "sentence2": hypothesis}
            f.write(json.dumps(row) + "\n")


def write_commonsenseqa() -> None:
    folder = OUT / "commonsenseqa"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train_rand_split.jsonl", "w", encoding="utf-8") as f:
        for i, (stem, concept, choices, answer) in enumerate(CSQA):
            row = {"answerKey": answer, "id": f"demo{i:04d}", "question": {
                "question_concept": concept, "stem": stem,
                "choices": [{"label": "ABCDE"[j], "text": text} for j, text in enumerate(choices)]}}
            f.write(json.dumps(row) + "\n")


def write_squad() -> None:
    folder = OUT / "squad"
    folder.mkdir(parents=True, exist_ok=True)
    data = []
    for a, (title, context, qas) in enumerate(SQUAD):
        entries = [{"question": q, "id": f"demo-{a}-{i}", "answers": [{"text": ans, "answer_start": context.index(ans)}]}
                   for i, (q, ans) in enumerate(qas)]
        data.append({"title": title, "paragraphs": [{"context": context, "qas": entries}]})
    (folder / "train-v1.1.json").write_text(json.dumps({"version": "1.1", "data": data}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_mnli()
    write_commonsenseqa()
    write_squad()
    print(f"wrote {OUT}")
