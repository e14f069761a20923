#!/usr/bin/python3
"""Writes tests/eval/expected_prompts/<task>.json: the requests lm-evaluation-harness builds for
the first documents of each shipped benchmark, zero-shot and k-shot.

Independent of quantscale's C++ code: each task's fields are recovered from the shipped file the
way lm-eval's dataset would hold them, then rendered with the task's Jinja templates / utils
functions transcribed verbatim from lm-eval (lm_eval/tasks/*, commit 4e7e0d47), through
lm-eval's fewshot_context / build_qa_turn / construct_requests logic, with few-shot examples drawn
by lm-eval's ContextSampler: random.Random(1234).sample(pool, k [+1 minus the eval doc]).

Run: /usr/bin/python3 tests/eval/make_expected_prompts.py /work/shared/benchmarks
"""
import bz2
import csv
import json
import os
import random
import re
import sys

import jinja2

ENV = jinja2.Environment(loader=jinja2.BaseLoader(), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def apply_template(template, doc):
    return ENV.from_string(template).render(**doc)


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---- documents as lm-eval's datasets hold them ------------------------------------------------
def triviaqa(d):
    rows = jsonl(f"{d}/triviaqa_sm_sub/triviaqa_sm_sub.jsonl")
    return [{"question": r["context"][len("Question: "):-len("\nAnswer:")], "answer": {"aliases": r["aliases"]}} for r in rows]


def nq_open(d):
    return jsonl(f"{d}/nq_open/NQ-open.dev.jsonl")


def lambada(d):
    return [{"text": r["context"] + " " + r["continuation"]} for r in jsonl(f"{d}/lambada_openai/lambada_openai.jsonl")]


def mosaic_lm(path):
    return lambda d: jsonl(f"{d}/{path}")


def arc(name):
    def load(d):
        return [{"question": r["query"][len("Question: "):], "choices": {"text": r["choices"], "label": list("ABCD"[: len(r["choices"])])},
                 "answerKey": "ABCD"[r["gold"]]} for r in jsonl(f"{d}/{name}/{name}.jsonl")]
    return load


def boolq(d):
    docs = []
    for r in jsonl(f"{d}/boolq/boolq.jsonl"):
        body = r["query"][len("Passage: "):]
        cut = body.rindex("\nQuestion: ")
        docs.append({"passage": body[:cut], "question": body[cut + len("\nQuestion: "):][:-1], "label": r["gold"]})
    return docs


def openbookqa(d):
    return [{"question_stem": r["query"], "choices": {"text": r["choices"], "label": list("ABCD")}, "answerKey": "ABCD"[r["gold"]]}
            for r in jsonl(f"{d}/openbookqa/openbook_qa.jsonl")]


def commonsense_qa(path):
    def load(d):
        return [{"question": r["question"]["stem"], "choices": {"label": [c["label"] for c in r["question"]["choices"]],
                                                               "text": [c["text"] for c in r["question"]["choices"]]},
                 "answerKey": r["answerKey"]} for r in jsonl(f"{d}/commonsense_qa/{path}")]
    return load


def copa(d):
    docs = []
    for r in jsonl(f"{d}/copa/copa.jsonl"):
        question = "effect" if r["query"].endswith(", therefore") else "cause"
        premise = r["query"].rsplit(", ", 1)[0] + "."
        docs.append({"premise": premise, "question": question, "choice1": r["choices"][0], "choice2": r["choices"][1], "label": r["gold"]})
    return docs


def siqa(d):
    docs = []
    for r in jsonl(f"{d}/siqa/siqa.jsonl"):
        lines = r["query"].split("\n")
        answers = [line[3:] for line in lines[3:-1]]
        docs.append({"context": lines[0][len("Context: "):], "question": lines[1][len("Question: "):],
                     "answerA": answers[0], "answerB": answers[1], "label": str(r["gold"] + 1)})
    return docs


def gsm8k(path):
    return lambda d: jsonl(f"{d}/gsm8k/{path}")


def piqa(d):
    rows = jsonl(f"{d}/piqa/valid.jsonl")
    labels = [int(x) for x in open(f"{d}/piqa/valid-labels.lst").read().split()]
    return [dict(r, label=l) for r, l in zip(rows, labels)]


def winogrande(d):
    return jsonl(f"{d}/winogrande/winogrande.jsonl")


def hellaswag(d):
    # The shipped file holds activity_label + ": " + ctx; ctx_b (the unfinished last sentence) is
    # taken as the text after the last ". " when it starts in lower case (see docs/eval.md).
    lines = bz2.open(f"{d}/hellaswag/hellaswag_val_full.txt.bz2", "rt", encoding="utf-8").read().split("\n")
    docs = []
    for i in range(0, len(lines) - 5, 6):
        label, ctx = lines[i].split(": ", 1)
        cut = ctx.rfind(". ")
        ctx_a, ctx_b = (ctx[: cut + 1], ctx[cut + 2:]) if cut >= 0 and ctx[cut + 2: cut + 3].islower() else (ctx, "")
        docs.append({"activity_label": label, "ctx_a": ctx_a, "ctx_b": ctx_b, "endings": lines[i + 2: i + 6], "label": lines[i + 1]})
    return docs


def hellaswag_preprocess(text):  # lm_eval/tasks/hellaswag/utils.py
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def hellaswag_process(doc):
    ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
    return {"query": hellaswag_preprocess(doc["activity_label"] + ": " + ctx),
            "choices": [hellaswag_preprocess(e) for e in doc["endings"]], "gold": int(doc["label"])}


def logiqa(path):  # the EleutherAI/logiqa loading script
    def load(d):
        def normalize(text):
            return text.replace(".", ". ").strip()
        with open(f"{d}/logiqa/{path}", encoding="utf-8") as f:
            data = f.read().strip().split("\n\n")
        docs = []
        for row in data:
            example = row.split("\n")
            docs.append({"label": example[0].strip(), "context": normalize(example[1]), "question": normalize(example[2]),
                         "options": [normalize(option[2:]) for option in example[3:]]})
        return docs
    return load


def logiqa_text(doc):  # lm_eval/tasks/logiqa/utils_logiqa.py
    choices = ["a", "b", "c", "d"]
    prompt = "Passage: " + doc["context"] + "\n"
    prompt += "Question: " + doc["question"] + "\nChoices:\n"
    for choice, option in zip(choices, doc["options"]):
        prompt += f"{choice.upper()}. {option}\n"
    prompt += "Answer:"
    return prompt


def copa_convert(choice):  # lm_eval/tasks/super_glue/copa/utils.py
    return choice[0].lower() + choice[1:]


def mmlu(split):
    def load(d):
        folder = f"{d}/mmlu/data/mmlu/{split}"
        docs = []
        for name in sorted(os.listdir(folder), key=lambda n: n.rsplit("_", 1)[0]):
            subject = name.rsplit("_", 1)[0]
            with open(f"{folder}/{name}", encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))[1:]
            docs += [{"question": r[0], "choices": r[1:5], "answer": int(r[5]), "subject": subject} for r in rows]
        return docs
    return load


# ---- task definitions (lm-eval YAML fields) -----------------------------------------------------
def T(**kw):
    base = dict(description="", target_delimiter=" ", fewshot_delimiter="\n\n", multiple_input=False, first_n=False, group=None)
    base.update(kw)
    return base


MC = "multiple_choice"
TASKS = {
    "triviaqa_sm_sub": T(load=triviaqa, type="generate_until", text=lambda doc: apply_template("Question: {{question}}?\nAnswer:", doc),
                         target=lambda doc: doc["answer"]["aliases"][0], exclude=True, shots=2),
    "nq_open": T(load=nq_open, type="generate_until", text=lambda doc: apply_template("Q: {{question}}?\nA:", doc),
                 target=lambda doc: doc["answer"][0], description="Answer these questions:\n\n", fewshot_delimiter="\n", exclude=True, shots=2),
    "bigbench_qa_wikidata": T(load=mosaic_lm("bigbench_qa_wikidata/bigbench_qa_wikidata.jsonl"), type="loglikelihood",
                              text=lambda doc: doc["context"], target=lambda doc: " " + doc["continuation"],
                              target_delimiter="", fewshot_delimiter="\n", exclude=True, shots=3),
    "jeopardy": T(load=mosaic_lm("jeopardy/jeopardy_all.jsonl"), type="loglikelihood", text=lambda doc: doc["context"] + "\nAnswer:",
                  target=lambda doc: " " + doc["continuation"], target_delimiter="", fewshot_delimiter="\n", exclude=True, shots=3),
    "lambada_openai": T(load=lambada, type="loglikelihood", text=lambda doc: apply_template("{{text.split(' ')[:-1]|join(' ')}}", doc),
                        target=lambda doc: apply_template("{{' '+text.split(' ')[-1]}}", doc), exclude=False, shots=2),
    "mmlu": T(load=mmlu("test"), fewshot=mmlu("dev"), type=MC, first_n=True, exclude=False, shots=5, group="subject",
              description=lambda doc: f"The following are multiple choice questions (with answers) about {doc['subject'].replace('_', ' ')}.\n\n",
              text=lambda doc: apply_template("{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:", doc),
              choices=lambda doc: ["A", "B", "C", "D"], gold=lambda doc: doc["answer"]),
    "hellaswag": T(load=lambda d: [hellaswag_process(x) for x in hellaswag(d)], type=MC, exclude=True, shots=2,
                   text=lambda doc: doc["query"], choices=lambda doc: doc["choices"], gold=lambda doc: doc["gold"]),
    "piqa": T(load=piqa, type=MC, exclude=True, shots=2, text=lambda doc: apply_template("Question: {{goal}}\nAnswer:", doc),
              choices=lambda doc: [doc["sol1"], doc["sol2"]], gold=lambda doc: doc["label"]),
    "winogrande": T(load=winogrande, type=MC, multiple_input=True, exclude=True, shots=2, text=lambda doc: doc["gold"],
                    choices=lambda doc: doc["context_options"], target=lambda doc: doc["continuation"], gold=lambda doc: doc["gold"]),
    "arc_easy": T(load=arc("arc_easy"), type=MC, exclude=True, shots=2, text=lambda doc: apply_template("Question: {{question}}\nAnswer:", doc),
                  choices=lambda doc: doc["choices"]["text"], gold=lambda doc: doc["choices"]["label"].index(doc["answerKey"])),
    "arc_challenge": T(load=arc("arc_challenge"), type=MC, exclude=True, shots=2, text=lambda doc: apply_template("Question: {{question}}\nAnswer:", doc),
                       choices=lambda doc: doc["choices"]["text"], gold=lambda doc: doc["choices"]["label"].index(doc["answerKey"])),
    "boolq": T(load=boolq, type=MC, exclude=True, shots=2, text=lambda doc: apply_template("{{passage}}\nQuestion: {{question}}?\nAnswer:", doc),
               choices=lambda doc: ["no", "yes"], gold=lambda doc: doc["label"]),
    "openbookqa": T(load=openbookqa, type=MC, exclude=True, shots=2, text=lambda doc: doc["question_stem"],
                    choices=lambda doc: doc["choices"]["text"], gold=lambda doc: doc["choices"]["label"].index(doc["answerKey"].lstrip())),
    "commonsense_qa": T(load=commonsense_qa("dev_rand_split.jsonl"), fewshot=commonsense_qa("train_rand_split.jsonl"), type=MC, exclude=True, shots=2,
                        text=lambda doc: apply_template("Question: {{ question.strip() }}\nA. {{choices['text'][0]}}\nB. {{choices['text'][1]}}\nC. {{choices['text'][2]}}\nD. {{choices['text'][3]}}\nE. {{choices['text'][4]}}\nAnswer:", doc),
                        choices=lambda doc: ["A", "B", "C", "D", "E"], gold=lambda doc: ["A", "B", "C", "D", "E"].index(doc["answerKey"])),
    "copa": T(load=copa, type=MC, exclude=True, shots=2,
              text=lambda doc: doc["premise"].strip()[:-1] + " " + {"cause": "because", "effect": "therefore"}[doc["question"]],
              choices=lambda doc: [" " + copa_convert(doc["choice1"]), " " + copa_convert(doc["choice2"])], gold=lambda doc: doc["label"]),
    "siqa": T(load=siqa, type=MC, exclude=True, shots=2, text=lambda doc: apply_template("Q: {{context}} {{question}}\nA:", doc),
              choices=lambda doc: [doc["answerA"], doc["answerB"]], gold=lambda doc: int(doc["label"]) - 1),
    "gsm8k": T(load=gsm8k("test.jsonl"), fewshot=gsm8k("train.jsonl"), type="generate_until", exclude=False, shots=5,
               text=lambda doc: apply_template("Question: {{question}}\nAnswer:", doc), target=lambda doc: doc["answer"]),
    "logiqa": T(load=logiqa("Test.txt"), fewshot=logiqa("Eval.txt"), type=MC, exclude=False, shots=2, text=logiqa_text,
                choices=lambda doc: doc["options"], gold=lambda doc: ["a", "b", "c", "d"].index(doc["label"].strip())),
}


# ---- lm-eval's prompt assembly ------------------------------------------------------------------
def fewshot_answer(task, doc):
    if task["type"] == MC and not task["multiple_input"]:
        return task["choices"](doc)[task["gold"](doc)]
    return task["target"](doc)


def requests_for(task, doc, examples):
    description = task["description"](doc) if callable(task["description"]) else task["description"]
    prefix = description
    for ex in examples:  # build_qa_turn: q + target_delimiter, answer + fewshot_delimiter
        q = task["choices"](ex)[task["text"](ex)] if task["multiple_input"] else task["text"](ex)
        prefix += q + task["target_delimiter"] + fewshot_answer(task, ex) + task["fewshot_delimiter"]
    if task["multiple_input"]:
        return [[prefix + c, task["target_delimiter"] + task["target"](doc)] for c in task["choices"](doc)]
    ctx = prefix + task["text"](doc)
    if task["type"] == MC:
        return [[ctx, task["target_delimiter"] + c] for c in task["choices"](doc)]
    if task["type"] == "loglikelihood":
        return [[ctx, task["target"](doc)]]
    return [[ctx, ""]]


def build(task, data_dir, shots, limit):
    docs = task["load"](data_dir)
    pool_all = task["fewshot"](data_dir) if "fewshot" in task else docs
    rnd = random.Random(1234)  # lm-eval's fewshot_random_seed default
    groups = {}
    for i, doc in enumerate(docs):
        key = doc[task["group"]] if task["group"] else ""
        groups.setdefault(key, []).append((i, doc))
    out = []
    for key in sorted(groups):
        pool = [d for d in pool_all if not task["group"] or d[task["group"]] == key]
        for local_id, (i, doc) in enumerate(groups[key][:limit]):
            if shots == 0:
                examples = []
            elif task["first_n"]:
                examples = pool[:shots]
            elif task["exclude"]:
                examples = [x for x in rnd.sample(pool, shots + 1) if x != doc][:shots]
            else:
                examples = rnd.sample(pool, shots)
            reqs = requests_for(task, doc, examples)
            contexts = sorted(set(r[0] for r in reqs), key=[r[0] for r in reqs].index)
            out.append({"doc_id": local_id, "group": key, "contexts": contexts,
                        "requests": [[contexts.index(r[0]), r[1]] for r in reqs]})
    return out


def main():
    data_dir = sys.argv[1]
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected_prompts")
    os.makedirs(out_dir, exist_ok=True)
    for name, task in TASKS.items():
        limit = 1 if name == "mmlu" else 3
        docs = task["load"](data_dir)
        total = sum(len(requests_for(task, doc, [])) for doc in docs)
        result = {"task": name, "limit": limit, "total_docs": len(docs), "total_requests": total,
                  "shots": {str(k): build(task, data_dir, k, limit) for k in (0, task["shots"])}}
        with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(name, len(docs), total)


if __name__ == "__main__":
    main()
