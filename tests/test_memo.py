"""A memo by identity: once per object, never an answer of another object."""

from dataclasses import dataclass

from monitor.memo import by_identity


@dataclass(frozen=True)
class Thing:
    value: int


def test_each_object_is_asked_once_and_an_equal_copy_is_asked_again():
    asked: list[int] = []

    @by_identity()
    def double(thing: Thing) -> int:
        asked.append(thing.value)
        return thing.value * 2

    one, copy = Thing(1), Thing(1)
    assert [double(one), double(one), double(copy), double(Thing(2))] == [2, 2, 2, 4]
    assert asked == [1, 1, 2]


def test_past_its_limit_the_memo_starts_again_and_keeps_answering_right():
    @by_identity(limit=2)
    def value(thing: Thing) -> int:
        return thing.value

    things = [Thing(n) for n in range(5)]
    assert [value(t) for t in things] == [0, 1, 2, 3, 4]
    assert [value(t) for t in reversed(things)] == [4, 3, 2, 1, 0]
