"""BFCL's TradingBot: stocks, orders, an account, a watch list and a transaction history. The clock is
fixed (2024-09-01 10:30, UTC here; BFCL reads the host's time zone) and transaction timestamps come from
the scenario's seeded generator, so a replay gives the same history."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, time, timedelta, timezone
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

NOW = datetime(2024, 9, 1, 10, 30, tzinfo=timezone.utc)
# symbol: price, percent_change, volume, MA(5), MA(20)
_STOCKS = {
    "AAPL": (227.16, 0.17, 2.552, 227.11, 227.09), "GOOG": (2840.34, 0.24, 1.123, 2835.67, 2842.15),
    "TSLA": (667.92, -0.12, 1.654, 671.15, 668.20), "MSFT": (310.23, 0.09, 3.234, 309.88, 310.11),
    "NVDA": (220.34, 0.34, 1.234, 220.45, 220.67), "ALPH": (1320.45, -0.08, 1.567, 1321.12, 1325.78),
    "OMEG": (457.23, 0.12, 2.345, 456.78, 458.12), "QUAS": (725.89, -0.03, 1.789, 726.45, 728.00),
    "NEPT": (88.34, 0.19, 0.654, 88.21, 88.67), "SYNX": (345.67, 0.11, 2.112, 345.34, 346.12),
    "ZETA": (22.09, -0.05, 0.789, 22.12, 22.34),
}
_DEFAULT = {
    "orders": {
        12345: {"id": 12345, "order_type": "Buy", "symbol": "AAPL", "price": 210.65, "amount": 10, "status": "Completed"},
        12446: {"id": 12446, "order_type": "Sell", "symbol": "GOOG", "price": 2840.56, "amount": 5, "status": "Pending"},
    },
    "account_info": {"account_id": 12345, "balance": 10000.0, "binding_card": 1974202140965533},
    "authenticated": False, "market_status": "Closed", "order_counter": 12446,
    "stocks": {symbol: dict(zip(("price", "percent_change", "volume", "MA(5)", "MA(20)"), values))
               for symbol, values in _STOCKS.items()},
    "watch_list": ["NVDA"], "transaction_history": [],
}
_SYMBOLS = {"Apple": "AAPL", "Google": "GOOG", "Tesla": "TSLA", "Microsoft": "MSFT", "Nvidia": "NVDA",
            "Zeta Corp": "ZETA", "Alpha Tech": "ALPH", "Omega Industries": "OMEG", "Quasar Ltd.": "QUAS",
            "Neptune Systems": "NEPT", "Synex Solutions": "SYNX", "Amazon": "AMZN", "Gorilla": "GORI"}
_SECTORS = {"Technology": ["AAPL", "GOOG", "MSFT", "NVDA"], "Automobile": ["TSLA", "F", "GM"]}
_STATE = ("orders", "account_info", "authenticated", "market_status", "order_counter", "stocks", "watch_list",
          "transaction_history")


class TradingBot(Api):
    name: ClassVar[str] = "TradingBot"
    seed: ClassVar[int] = 1053520
    tools: ClassVar[tuple[str, ...]] = (
        "get_current_time", "update_market_status", "get_symbol_by_name", "get_stock_info", "get_order_details",
        "cancel_order", "place_order", "withdraw_funds", "get_account_info", "trading_login",
        "trading_get_login_status", "trading_logout", "fund_account", "remove_stock_from_watchlist",
        "get_watchlist", "get_order_history", "get_transaction_history", "get_available_stocks",
        "filter_stocks_by_price", "add_to_watchlist", "notify_price_change")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        merged = {**copy.deepcopy(_DEFAULT), **copy.deepcopy(dict(config))}
        self.orders = {int(key) if isinstance(key, str) and key.isdigit() else key: value
                       for key, value in merged["orders"].items()}
        for name in _STATE[1:]:
            setattr(self, name, merged[name])

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def _timestamp(self) -> str:
        start = int(NOW.timestamp())
        moment = self._random.randint(start, int((NOW + timedelta(days=1)).timestamp()))
        return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    def get_current_time(self) -> dict:
        return {"current_time": NOW.strftime("%I:%M %p")}

    def update_market_status(self, current_time_str: str) -> dict:
        moment = datetime.strptime(current_time_str, "%I:%M %p").time()
        self.market_status = "Open" if time(9, 30) <= moment <= time(16, 0) else "Closed"
        return {"status": self.market_status}

    def get_symbol_by_name(self, name: str) -> dict:
        return {"symbol": _SYMBOLS.get(name, "Stock not found")}

    def get_stock_info(self, symbol: str) -> dict:
        if symbol not in self.stocks:
            return {"error": f"Stock with symbol '{symbol}' not found."}
        return copy.deepcopy(self.stocks[symbol])

    def get_order_details(self, order_id: int) -> dict:
        if order_id not in self.orders:
            return {"error": f"Order with ID {order_id} not found.Here is the list of orders_id: {list(self.orders)}"}
        return copy.deepcopy(self.orders[order_id])

    def cancel_order(self, order_id: int) -> dict:
        if order_id not in self.orders:
            return {"error": f"Order with ID {order_id} not found."}
        if self.orders[order_id]["status"] == "Completed":
            return {"error": f"Can't cancel order {order_id}. Order is already completed."}
        self.orders[order_id]["status"] = "Cancelled"
        return {"order_id": order_id, "status": "Cancelled"}

    def place_order(self, order_type: str, symbol: str, price: float, amount: int) -> dict:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to place an order."}
        if symbol not in self.stocks:
            return {"error": f"Invalid stock symbol: {symbol}"}
        if price <= 0 or amount <= 0:
            return {"error": "Price and amount must be positive values."}
        price = float(price)
        order_id = self.order_counter
        self.orders[order_id] = {"id": order_id, "order_type": order_type, "symbol": symbol, "price": price,
                                 "amount": amount, "status": "Open"}
        self.order_counter += 1
        return {"order_id": order_id, "order_type": order_type, "status": "Pending", "price": price, "amount": amount}

    def withdraw_funds(self, amount: float) -> dict:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to make a transaction."}
        if self.market_status != "Open":
            return {"error": "Market is closed. Transactions are not allowed."}
        if amount <= 0:
            return {"error": "Transaction amount must be positive."}
        if amount > self.account_info["balance"]:
            return {"error": "Insufficient funds for withdrawal."}
        self.account_info["balance"] -= amount
        self.transaction_history.append({"type": "withdrawal", "amount": amount, "timestamp": self._timestamp()})
        return {"status": "Withdrawal successful", "new_balance": self.account_info["balance"]}

    def get_account_info(self) -> dict:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to view account information."}
        return copy.deepcopy(self.account_info)

    def trading_login(self, username: str, password: str) -> dict:
        if self.authenticated:
            return {"status": "Already logged in"}
        self.authenticated = True
        return {"status": "Logged in successfully"}

    def trading_get_login_status(self) -> dict:
        return {"status": bool(self.authenticated)}

    def trading_logout(self) -> dict:
        if not self.authenticated:
            return {"status": "No user is currently logged in"}
        self.authenticated = False
        return {"status": "Logged out successfully"}

    def fund_account(self, amount: float) -> dict:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to fund the account."}
        if amount <= 0:
            return {"error": "Funding amount must be positive."}
        self.account_info["balance"] += amount
        self.transaction_history.append({"type": "deposit", "amount": amount, "timestamp": self._timestamp()})
        return {"status": "Account funded successfully", "new_balance": self.account_info["balance"]}

    def remove_stock_from_watchlist(self, symbol: str) -> dict:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to modify the watchlist."}
        if symbol not in self.watch_list:
            return {"error": f"Stock {symbol} not found in watchlist."}
        self.watch_list.remove(symbol)
        return {"status": f"Stock {symbol} removed from watchlist successfully."}

    def get_watchlist(self) -> Any:
        if not self.authenticated:
            return ["Error: User not authenticated. Please log in to view the watchlist."]
        return {"watchlist": list(self.watch_list)}

    def get_order_history(self) -> Any:
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view order history."}]
        return {"history": list(self.orders)}

    def get_transaction_history(self, start_date: str | None = None, end_date: str | None = None) -> Any:
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view transaction history."}]
        start = datetime.strptime(start_date, "%Y-%m-%d") if start_date else datetime.min
        end = datetime.strptime(end_date, "%Y-%m-%d") if end_date else datetime.max
        return {"transaction_history": [
            copy.deepcopy(entry) for entry in self.transaction_history
            if start <= datetime.strptime(entry["timestamp"], "%Y-%m-%d %H:%M:%S") <= end]}

    def get_available_stocks(self, sector: str) -> dict:
        return {"stock_list": list(_SECTORS.get(sector, []))}

    def filter_stocks_by_price(self, stocks: list, min_price: float, max_price: float) -> dict:
        def price(symbol: str) -> float:
            return self.stocks.get(symbol, {}).get("price", 0)
        return {"filtered_stocks": [symbol for symbol in stocks if min_price <= price(symbol) <= max_price]}

    def add_to_watchlist(self, stock: str) -> dict:
        if stock not in self.watch_list and stock in self.stocks:
            self.watch_list.append(stock)
        return {"symbol": list(self.watch_list)}

    def notify_price_change(self, stocks: list, threshold: float) -> dict:
        changed = [symbol for symbol in stocks
                   if symbol in self.stocks and abs(self.stocks[symbol]["percent_change"]) >= threshold]
        if changed:
            return {"notification": f"Stocks {', '.join(changed)} have significant price changes."}
        return {"notification": "No significant price changes in the selected stocks."}
