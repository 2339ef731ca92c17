"""Write the demo's multilingual evaluation data in the public releases' layouts.

Every sentence here was written for this project (not taken from any dataset), so the demo can
ship it. It is smoke-scale: a handful of items per language, enough to exercise every task
family end to end, far too few for a meaningful score. Run ``python _make_eval_data.py`` to
regenerate ``eval/`` after editing the sentences.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "eval"

# Parallel sentences: English, German, French, Spanish.
PARALLEL = [
    ("The cat is sleeping on the sofa.", "Die Katze schläft auf dem Sofa.", "Le chat dort sur le canapé.", "El gato duerme en el sofá."),
    ("I would like a cup of coffee, please.", "Ich hätte gern eine Tasse Kaffee, bitte.", "Je voudrais une tasse de café, s'il vous plaît.", "Quisiera una taza de café, por favor."),
    ("The train to Berlin leaves at eight o'clock.", "Der Zug nach Berlin fährt um acht Uhr ab.", "Le train pour Berlin part à huit heures.", "El tren a Berlín sale a las ocho."),
    ("My sister lives in a small village near the sea.", "Meine Schwester wohnt in einem kleinen Dorf am Meer.", "Ma sœur habite dans un petit village près de la mer.", "Mi hermana vive en un pueblo pequeño cerca del mar."),
    ("It has been raining all day.", "Es regnet schon den ganzen Tag.", "Il pleut depuis toute la journée.", "Ha estado lloviendo todo el día."),
    ("Where is the nearest pharmacy?", "Wo ist die nächste Apotheke?", "Où est la pharmacie la plus proche ?", "¿Dónde está la farmacia más cercana?"),
    ("We are going to the cinema tonight.", "Wir gehen heute Abend ins Kino.", "Nous allons au cinéma ce soir.", "Vamos al cine esta noche."),
    ("He forgot his keys at the office.", "Er hat seine Schlüssel im Büro vergessen.", "Il a oublié ses clés au bureau.", "Olvidó sus llaves en la oficina."),
    ("The children are playing in the garden.", "Die Kinder spielen im Garten.", "Les enfants jouent dans le jardin.", "Los niños juegan en el jardín."),
    ("This book is more interesting than the film.", "Dieses Buch ist interessanter als der Film.", "Ce livre est plus intéressant que le film.", "Este libro es más interesante que la película."),
    ("Can you help me carry this box?", "Kannst du mir helfen, diese Kiste zu tragen?", "Peux-tu m'aider à porter cette boîte ?", "¿Puedes ayudarme a llevar esta caja?"),
    ("The museum is closed on Mondays.", "Das Museum ist montags geschlossen.", "Le musée est fermé le lundi.", "El museo está cerrado los lunes."),
    ("She speaks three languages fluently.", "Sie spricht fließend drei Sprachen.", "Elle parle couramment trois langues.", "Ella habla tres idiomas con fluidez."),
    ("I have never seen such a tall tree.", "Ich habe noch nie einen so hohen Baum gesehen.", "Je n'ai jamais vu un arbre aussi grand.", "Nunca he visto un árbol tan alto."),
    ("The soup is too hot to eat.", "Die Suppe ist zu heiß zum Essen.", "La soupe est trop chaude pour être mangée.", "La sopa está demasiado caliente para comerla."),
    ("Our neighbours bought a new car.", "Unsere Nachbarn haben ein neues Auto gekauft.", "Nos voisins ont acheté une nouvelle voiture.", "Nuestros vecinos compraron un coche nuevo."),
    ("Please close the window before you leave.", "Bitte schließ das Fenster, bevor du gehst.", "Ferme la fenêtre avant de partir, s'il te plaît.", "Por favor, cierra la ventana antes de salir."),
    ("The meeting was moved to Thursday.", "Die Besprechung wurde auf Donnerstag verschoben.", "La réunion a été déplacée à jeudi.", "La reunión se trasladó al jueves."),
    ("He runs five kilometres every morning.", "Er läuft jeden Morgen fünf Kilometer.", "Il court cinq kilomètres chaque matin.", "Corre cinco kilómetros cada mañana."),
    ("The bread in this bakery is very fresh.", "Das Brot in dieser Bäckerei ist sehr frisch.", "Le pain de cette boulangerie est très frais.", "El pan de esta panadería es muy fresco."),
    ("I lost my umbrella on the bus.", "Ich habe meinen Regenschirm im Bus verloren.", "J'ai perdu mon parapluie dans le bus.", "Perdí mi paraguas en el autobús."),
    ("The doctor told him to rest for a week.", "Der Arzt sagte ihm, er solle sich eine Woche ausruhen.", "Le médecin lui a dit de se reposer pendant une semaine.", "El médico le dijo que descansara una semana."),
    ("They painted the kitchen yellow.", "Sie haben die Küche gelb gestrichen.", "Ils ont peint la cuisine en jaune.", "Pintaron la cocina de amarillo."),
    ("The concert starts in ten minutes.", "Das Konzert beginnt in zehn Minuten.", "Le concert commence dans dix minutes.", "El concierto empieza en diez minutos."),
]  # fmt: skip
LANGS = ("en", "de", "fr", "es")
TATOEBA_CODES = {"de": "deu", "fr": "fra", "es": "spa"}

# Sentences with no translation on the other side: distractors for BUCC mining.
EXTRA_EN = [
    "The lighthouse keeper wrote letters every winter.",
    "Fresh snow covered the mountain road.",
    "A violin was left on the bench in the park.",
    "The library opens an hour later in summer.",
]
EXTRA_SRC = {
    "de": ["Der Bäcker verkauft samstags auch Kuchen.", "Im Hafen lagen drei alte Fischerboote."],
    "fr": ["Le boulanger vend aussi des gâteaux le samedi.", "Trois vieux bateaux de pêche étaient au port."],
}

# NLI: premise, then (hypothesis, label) per language. Labels as in XTREME's dev-<lang>.tsv.
NLI = {
    "en": [
        ("The cat is sleeping on the sofa.", [("An animal is resting.", "entailment"), ("The cat is very old.", "neutral"), ("The cat is chasing a mouse in the garden.", "contradiction")]),
        ("The museum is closed on Mondays.", [("On Mondays you cannot visit the museum.", "entailment"), ("The museum is free on Sundays.", "neutral"), ("The museum is open every day of the week.", "contradiction")]),
        ("He forgot his keys at the office.", [("His keys are at the office.", "entailment"), ("He works in a bank.", "neutral"), ("He has his keys in his pocket.", "contradiction")]),
        ("The children are playing in the garden.", [("The children are outside.", "entailment"), ("The children are siblings.", "neutral"), ("The children are asleep in their beds.", "contradiction")]),
    ],
    "de": [
        ("Die Katze schläft auf dem Sofa.", [("Ein Tier ruht sich aus.", "entailment"), ("Die Katze ist sehr alt.", "neutral"), ("Die Katze jagt eine Maus im Garten.", "contradiction")]),
        ("Das Museum ist montags geschlossen.", [("Montags kann man das Museum nicht besuchen.", "entailment"), ("Sonntags ist der Eintritt ins Museum frei.", "neutral"), ("Das Museum ist an jedem Tag der Woche geöffnet.", "contradiction")]),
        ("Er hat seine Schlüssel im Büro vergessen.", [("Seine Schlüssel sind im Büro.", "entailment"), ("Er arbeitet in einer Bank.", "neutral"), ("Er hat seine Schlüssel in der Tasche.", "contradiction")]),
        ("Die Kinder spielen im Garten.", [("Die Kinder sind draußen.", "entailment"), ("Die Kinder sind Geschwister.", "neutral"), ("Die Kinder schlafen in ihren Betten.", "contradiction")]),
    ],
    "fr": [
        ("Le chat dort sur le canapé.", [("Un animal se repose.", "entailment"), ("Le chat est très vieux.", "neutral"), ("Le chat chasse une souris dans le jardin.", "contradiction")]),
        ("Le musée est fermé le lundi.", [("Le lundi, on ne peut pas visiter le musée.", "entailment"), ("L'entrée du musée est gratuite le dimanche.", "neutral"), ("Le musée est ouvert tous les jours de la semaine.", "contradiction")]),
        ("Il a oublié ses clés au bureau.", [("Ses clés sont au bureau.", "entailment"), ("Il travaille dans une banque.", "neutral"), ("Il a ses clés dans sa poche.", "contradiction")]),
        ("Les enfants jouent dans le jardin.", [("Les enfants sont dehors.", "entailment"), ("Les enfants sont frères et sœurs.", "neutral"), ("Les enfants dorment dans leurs lits.", "contradiction")]),
    ],
    "es": [
        ("El gato duerme en el sofá.", [("Un animal está descansando.", "entailment"), ("El gato es muy viejo.", "neutral"), ("El gato persigue a un ratón en el jardín.", "contradiction")]),
        ("El museo está cerrado los lunes.", [("Los lunes no se puede visitar el museo.", "entailment"), ("La entrada al museo es gratuita los domingos.", "neutral"), ("El museo está abierto todos los días de la semana.", "contradiction")]),
        ("Olvidó sus llaves en la oficina.", [("Sus llaves están en la oficina.", "entailment"), ("Trabaja en un banco.", "neutral"), ("Tiene sus llaves en el bolsillo.", "contradiction")]),
        ("Los niños juegan en el jardín.", [("Los niños están fuera.", "entailment"), ("Los niños son hermanos.", "neutral"), ("Los niños duermen en sus camas.", "contradiction")]),
    ],
}  # fmt: skip

# Extractive QA (TyDiQA-GoldP / SQuAD v1.1 layout): title, context, [(question, answer)].
QA = {
    ("en", "english"): [
        ("Rhine", "The Rhine is a river that flows from the Swiss Alps to the North Sea. It is about 1,230 kilometres long.",
         [("Where does the Rhine flow to?", "the North Sea"), ("How long is the Rhine?", "about 1,230 kilometres")]),
        ("Olympic Games", "The first modern Olympic Games were held in Athens in 1896. Athletes from fourteen nations took part.",
         [("When were the first modern Olympic Games held?", "1896"), ("How many nations took part?", "fourteen")]),
    ],
    ("ru", "russian"): [
        ("Байкал", "Байкал — озеро на юге Восточной Сибири. Это самое глубокое озеро на планете: его глубина достигает 1642 метров.",
         [("Где находится Байкал?", "на юге Восточной Сибири"), ("Какова глубина Байкала?", "1642 метров")]),
        ("Чайковский", "Пётр Ильич Чайковский родился в 1840 году в Воткинске. Он написал балет «Лебединое озеро».",
         [("Когда родился Чайковский?", "в 1840 году"), ("Какой балет написал Чайковский?", "«Лебединое озеро»")]),
    ],
    ("id", "indonesian"): [
        ("Danau Toba", "Danau Toba adalah danau vulkanik di Sumatra Utara. Panjang danau ini sekitar 100 kilometer.",
         [("Di mana letak Danau Toba?", "Sumatra Utara"), ("Berapa panjang Danau Toba?", "sekitar 100 kilometer")]),
    ],
}  # fmt: skip


def write_tatoeba() -> None:
    folder = OUT / "tatoeba"
    folder.mkdir(parents=True, exist_ok=True)
    for col, lang in enumerate(LANGS[1:], start=1):
        code = TATOEBA_CODES[lang]
        (folder / f"tatoeba.{code}-eng.{code}").write_text("".join(row[col] + "\n" for row in PARALLEL), encoding="utf-8")
        (folder / f"tatoeba.{code}-eng.eng").write_text("".join(row[0] + "\n" for row in PARALLEL), encoding="utf-8")


def write_bucc() -> None:
    """BUCC 2018 layout: <l>-en.<split>.{<l>,en,gold}; sample = first 10 pairs, training = the rest."""
    folder = OUT / "bucc2018"
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"sample": PARALLEL[:10], "training": PARALLEL[10:]}
    for lang in ("de", "fr"):
        col = LANGS.index(lang)
        for split, rows in splits.items():
            src, trg, gold = [], [], []
            for i, row in enumerate(rows):
                sid, tid = f"{lang}-{split[:2]}{i:06d}", f"en-{split[:2]}{i + 500:06d}"
                src.append(f"{sid}\t{row[col]}")
                trg.append(f"{tid}\t{row[0]}")
                gold.append(f"{sid}\t{tid}")
            extras_en = EXTRA_EN[:2] if split == "sample" else EXTRA_EN[2:]
            trg += [f"en-{split[:2]}{900 + i:06d}\t{s}" for i, s in enumerate(extras_en)]
            src += [f"{lang}-{split[:2]}{900 + i:06d}\t{s}" for i, s in enumerate(EXTRA_SRC[lang][:1] if split == "sample" else EXTRA_SRC[lang][1:])]
            stem = folder / f"{lang}-en.{split}"
            Path(f"{stem}.{lang}").write_text("\n".join(src) + "\n", encoding="utf-8")
            Path(f"{stem}.en").write_text("\n".join(trg) + "\n", encoding="utf-8")
            Path(f"{stem}.gold").write_text("\n".join(gold) + "\n", encoding="utf-8")


def write_xnli() -> None:
    folder = OUT / "xnli"
    folder.mkdir(parents=True, exist_ok=True)
    for lang, items in NLI.items():
        with open(folder / f"dev-{lang}.tsv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            for premise, hyps in items:
                for hypothesis, label in hyps:
                    writer.writerow([premise, hypothesis, label])


def write_tydiqa() -> None:
    folder = OUT / "tydiqa_goldp"
    folder.mkdir(parents=True, exist_ok=True)
    for (_lang, language), articles in QA.items():
        data = []
        for a, (title, context, qas) in enumerate(articles):
            entries = []
            for q, (question, answer) in enumerate(qas):
                start = context.index(answer)
                entries.append({"question": question, "answers": [{"text": answer, "answer_start": start}],
                                "id": f"{language}-demo-{a}-{q}"})
            data.append({"title": title, "paragraphs": [{"context": context, "qas": entries}]})
        (folder / f"{language}_tydiqa_dev.json").write_text(
            json.dumps({"data": data}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_tatoeba()
    write_bucc()
    write_xnli()
    write_tydiqa()
    print(f"wrote {OUT}")
