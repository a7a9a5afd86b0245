"""BFCL's TwitterAPI (the posting API): tweets keyed by integer id, comments, retweets, follows, and a
password login. A tweet posted without tags or mentions gets lists of its own (BFCL shares one default
list between such tweets, so a later `mention` changed all of them)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

_STATE = ("username", "password", "authenticated", "tweets", "comments", "retweets", "following_list", "tweet_counter")


class TwitterAPI(Api):
    name: ClassVar[str] = "TwitterAPI"
    tools: ClassVar[tuple[str, ...]] = (
        "authenticate_twitter", "posting_get_login_status", "post_tweet", "retweet", "comment", "mention",
        "follow_user", "list_all_following", "unfollow_user", "get_tweet", "get_user_tweets", "search_tweets",
        "get_tweet_comments", "get_user_stats")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        config = copy.deepcopy(dict(config))
        self.username = config.get("username", "john")
        self.password = config.get("password", "john123")
        self.authenticated = config.get("authenticated", False)
        self.tweets = {int(key): value for key, value in config.get("tweets", {}).items()}
        self.comments = config.get("comments", {})
        self.retweets = config.get("retweets", {})
        self.following_list = config.get("following_list", ["alice", "bob"])
        self.tweet_counter = config.get("tweet_counter", 0)

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def _login_error(self, action: str) -> dict | None:
        return None if self.authenticated else {"error": f"User not authenticated. Please authenticate before {action}."}

    def authenticate_twitter(self, username: str, password: str) -> dict:
        if username == self.username and password == self.password:
            self.authenticated = True
            return {"authentication_status": True}
        return {"authentication_status": False}

    def posting_get_login_status(self) -> dict:
        return {"login_status": bool(self.authenticated)}

    def post_tweet(self, content: str, tags: list | None = None, mentions: list | None = None) -> dict:
        error = self._login_error("posting")
        if error:
            return error
        tweet = {"id": self.tweet_counter, "username": self.username, "content": content,
                 "tags": list(tags or []), "mentions": list(mentions or [])}
        self.tweets[self.tweet_counter] = tweet
        self.tweet_counter += 1
        return copy.deepcopy(tweet)

    def retweet(self, tweet_id: int) -> dict:
        error = self._login_error("retweeting")
        if error:
            return error
        if tweet_id not in self.tweets:
            return {"error": f"Tweet with ID {tweet_id} not found."}
        mine = self.retweets.setdefault(self.username, [])
        if tweet_id in mine:
            return {"retweet_status": "Already retweeted"}
        mine.append(tweet_id)
        return {"retweet_status": "Successfully retweeted"}

    def comment(self, tweet_id: int, comment_content: str) -> dict:
        error = self._login_error("commenting")
        if error:
            return error
        if tweet_id not in self.tweets:
            return {"error": f"Tweet with ID {tweet_id} not found."}
        self.comments.setdefault(tweet_id, []).append({"username": self.username, "content": comment_content})
        return {"comment_status": "Comment added successfully"}

    def mention(self, tweet_id: int, mentioned_usernames: list) -> dict:
        if tweet_id not in self.tweets:
            return {"error": f"Tweet with ID {tweet_id} not found."}
        self.tweets[tweet_id]["mentions"].extend(mentioned_usernames)
        return {"mention_status": "Users mentioned successfully"}

    def follow_user(self, username_to_follow: str) -> dict:
        error = self._login_error("following")
        if error:
            return error
        if username_to_follow in self.following_list:
            return {"follow_status": False}
        self.following_list.append(username_to_follow)
        return {"follow_status": True}

    def list_all_following(self) -> dict:
        error = self._login_error("listing following")
        return error or {"following_list": list(self.following_list)}

    def unfollow_user(self, username_to_unfollow: str) -> dict:
        error = self._login_error("unfollowing")
        if error:
            return error
        if username_to_unfollow not in self.following_list:
            return {"unfollow_status": False}
        self.following_list.remove(username_to_unfollow)
        return {"unfollow_status": True}

    def get_tweet(self, tweet_id: int) -> dict:
        if tweet_id not in self.tweets:
            return {"error": f"Tweet with ID {tweet_id} not found."}
        return copy.deepcopy(self.tweets[tweet_id])

    def get_user_tweets(self, username: str) -> list:
        return [copy.deepcopy(tweet) for tweet in self.tweets.values() if tweet["username"] == username]

    def search_tweets(self, keyword: str) -> list:
        word = keyword.lower()
        return [copy.deepcopy(tweet) for tweet in self.tweets.values()
                if word in tweet["content"].lower() or word in [tag.lower() for tag in tweet["tags"]]]

    def get_tweet_comments(self, tweet_id: int) -> Any:
        if tweet_id not in self.tweets:
            return {"error": f"Tweet with ID {tweet_id} not found."}
        return copy.deepcopy(self.comments.get(tweet_id, []))

    def get_user_stats(self, username: str) -> dict:
        return {"tweet_count": sum(1 for tweet in self.tweets.values() if tweet["username"] == username),
                "following_count": len(self.following_list) if username == self.username else 0,
                "retweet_count": len(self.retweets.get(username, []))}
