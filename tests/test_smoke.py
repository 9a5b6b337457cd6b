"""The contract's JSON example, to the letter."""

from conftest import run_cli


def test_contract_json_example():
    result = run_cli("eval", "(a+b)*(b+1)", "--at", "a=2,b=1", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["value"] == 6.0
    assert data["gradient"] == {"a": 2.0, "b": 5.0}
    assert [(n["id"], n["name"], n["op"], n["inputs"]) for n in data["nodes"]] == [
        (0, "a", "var", []),
        (1, "b", "var", []),
        (2, "v1", "add", [0, 1]),
        (3, "1", "const", []),
        (4, "v2", "add", [1, 3]),
        (5, "v3", "mul", [2, 4]),
    ]
    assert "grad" not in data["nodes"][3]
    assert [n.get("formula") for n in data["nodes"]] == [None, None, "a + b", None, "b + 1", "v1 * v2"]
    assert data["output"] == 5
    assert [(s["of"], s["wrt"], s["local_formula"], s["contribution"]) for s in data["steps"]] == [
        (5, 2, "v2", 2.0),
        (5, 4, "v1", 3.0),
        (4, 1, "1", 3.0),
        (2, 0, "1", 2.0),
        (2, 1, "1", 2.0),
    ]
    assert data["warnings"] == []
