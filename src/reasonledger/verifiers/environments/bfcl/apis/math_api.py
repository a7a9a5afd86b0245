"""BFCL's MathAPI: stateless arithmetic and statistics. Precision is bounded (at most 1,000 digits)
and huge integer powers are computed in floating point, so a model's arguments cannot exhaust memory."""

from __future__ import annotations

import math
from decimal import Context, Decimal, InvalidOperation
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api

MAX_PRECISION = 1000
_CONVERSIONS = {
    "cm_to_in": 0.393701, "in_to_cm": 2.54, "m_to_ft": 3.28084, "ft_to_m": 0.3048, "m_to_yd": 1.09361,
    "yd_to_m": 0.9144, "km_to_miles": 0.621371, "miles_to_km": 1.60934, "kg_to_lb": 2.20462,
    "lb_to_kg": 0.453592, "celsius_to_fahrenheit": 1.8, "fahrenheit_to_celsius": 5 / 9,
}
_TO_METERS = {"km": 1000, "m": 1, "cm": 0.01, "mm": 0.001, "um": 1e-6, "nm": 1e-9}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _context(precision: Any) -> Context:
    if not isinstance(precision, int) or not 1 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be an integer from 1 to {MAX_PRECISION}")
    return Context(prec=precision)


class MathAPI(Api):
    name: ClassVar[str] = "MathAPI"
    tools: ClassVar[tuple[str, ...]] = (
        "logarithm", "mean", "standard_deviation", "si_unit_conversion", "imperial_si_conversion", "add",
        "subtract", "multiply", "divide", "power", "square_root", "absolute_value", "round_number",
        "percentage", "min_value", "max_value", "sum_values")

    def state(self) -> dict[str, Any]:
        return {}

    def logarithm(self, value: float, base: float, precision: int) -> dict:
        try:
            context = _context(precision)
            result = context.divide(Decimal(value).ln(context), Decimal(base).ln(context))
        except (ValueError, TypeError, InvalidOperation, ArithmeticError) as exc:
            return {"error": str(exc) or type(exc).__name__}
        return {"result": result}

    def mean(self, numbers: list) -> dict:
        if not numbers:
            return {"error": "Cannot calculate mean of an empty list"}
        if not all(_number(x) for x in numbers):
            return {"error": "All elements in the list must be numbers"}
        return {"result": sum(numbers) / len(numbers)}

    def standard_deviation(self, numbers: list) -> dict:
        if not numbers:
            return {"error": "Cannot calculate standard deviation of an empty list"}
        if not all(_number(x) for x in numbers):
            return {"error": "All elements in the list must be numbers"}
        mean = sum(numbers) / len(numbers)
        return {"result": math.sqrt(sum((x - mean) ** 2 for x in numbers) / len(numbers))}

    def si_unit_conversion(self, value: float, unit_in: str, unit_out: str) -> dict:
        if not _number(value):
            return {"error": "Value must be a number"}
        if unit_in not in _TO_METERS or unit_out not in _TO_METERS:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        return {"result": value * _TO_METERS[unit_in] * (1 / _TO_METERS[unit_out])}

    def imperial_si_conversion(self, value: float, unit_in: str, unit_out: str) -> dict:
        if not _number(value):
            return {"error": "Value must be a number"}
        if unit_in == unit_out:
            return {"result": value}
        key = f"{unit_in}_to_{unit_out}"
        if key not in _CONVERSIONS:
            return {"error": f"Conversion from '{unit_in}' to '{unit_out}' is not supported"}
        if key == "celsius_to_fahrenheit":
            return {"result": value * _CONVERSIONS[key] + 32}
        if key == "fahrenheit_to_celsius":
            return {"result": (value - 32) * _CONVERSIONS[key]}
        return {"result": value * _CONVERSIONS[key]}

    def add(self, a: float, b: float) -> dict:
        return self._binary(a, b, lambda x, y: x + y)

    def subtract(self, a: float, b: float) -> dict:
        return self._binary(a, b, lambda x, y: x - y)

    def multiply(self, a: float, b: float) -> dict:
        return self._binary(a, b, lambda x, y: x * y)

    def divide(self, a: float, b: float) -> dict:
        if _number(b) and b == 0:
            return {"error": "Cannot divide by zero"}
        return self._binary(a, b, lambda x, y: x / y)

    def power(self, base: float, exponent: float) -> dict:
        if not (_number(base) and _number(exponent)):
            return {"error": "Both inputs must be numbers"}
        try:
            if isinstance(exponent, int) and abs(exponent) > 1024 and abs(base) > 1:
                return {"result": float(base) ** exponent}
            return {"result": base ** exponent}
        except (OverflowError, ZeroDivisionError) as exc:
            return {"error": str(exc)}

    def square_root(self, number: float, precision: int) -> dict:
        if not _number(number):
            return {"error": "Input must be a number or computation resulted in an invalid operation"}
        if number < 0:
            return {"error": "Cannot calculate square root of a negative number"}
        try:
            return {"result": Decimal(number).sqrt(_context(precision))}
        except (ValueError, InvalidOperation):
            return {"error": "Input must be a number or computation resulted in an invalid operation"}

    def absolute_value(self, number: float) -> dict:
        if not _number(number):
            return {"error": "Input must be a number"}
        return {"result": abs(number)}

    def round_number(self, number: float, decimal_places: int = 0) -> dict:
        if not _number(number) or not isinstance(decimal_places, int):
            return {"error": "First input must be a number, second input must be an integer"}
        return {"result": round(number, decimal_places)}

    def percentage(self, part: float, whole: float) -> dict:
        if _number(whole) and whole == 0:
            return {"error": "Whole value cannot be zero"}
        return self._binary(part, whole, lambda x, y: x / y * 100)

    def min_value(self, numbers: list) -> dict:
        return self._reduce(numbers, min, "Cannot find minimum of an empty list")

    def max_value(self, numbers: list) -> dict:
        return self._reduce(numbers, max, "Cannot find maximum of an empty list")

    def sum_values(self, numbers: list) -> dict:
        return self._reduce(numbers, sum, "Cannot calculate sum of an empty list")

    @staticmethod
    def _binary(a: Any, b: Any, operation) -> dict:
        if not (_number(a) and _number(b)):
            return {"error": "Both inputs must be numbers"}
        try:
            return {"result": operation(a, b)}
        except OverflowError as exc:
            return {"error": str(exc)}

    @staticmethod
    def _reduce(numbers: Any, operation, empty: str) -> dict:
        if not numbers:
            return {"error": empty}
        if not isinstance(numbers, list) or not all(_number(x) for x in numbers):
            return {"error": "All elements in the list must be numbers"}
        return {"result": operation(numbers)}
