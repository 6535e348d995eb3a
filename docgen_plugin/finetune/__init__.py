"""House style: a labeled corpus from existing docs, LoRA training on it, and evaluation.

`corpus` builds (facts, section) -> human text pairs with the draft-time prompt builder;
`train` fits a PEFT LoRA adapter on them; `evaluate` compares base and adapter on the test
split. Heavy imports (torch, transformers, peft) stay inside the functions that need them.
"""
