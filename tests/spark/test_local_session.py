"""The local session answers pyspark's per-call class lookups without asking the JVM (decision 152)."""

from __future__ import annotations

from contextlib import contextmanager

from py4j import protocol

from framework.platform.local_jvm import PYSPARK_LOOKUPS

UNKNOWN_NAME = protocol.REFLECTION_COMMAND_NAME + protocol.REFL_GET_UNKNOWN_SUB_COMMAND_NAME


@contextmanager
def names_asked(spark):
    """The names this thread's py4j client asks the JVM to resolve (package or class?) inside the block."""
    client = spark.sparkContext._gateway._gateway_client
    asked: list[str] = []
    send = client.send_command

    def counting(command, *args, **kwargs):
        if command.startswith(UNKNOWN_NAME):
            asked.append(command[len(UNKNOWN_NAME):].split("\n")[0])
        return send(command, *args, **kwargs)

    client.send_command = counting
    try:
        yield asked
    finally:
        del client.send_command  # the instance attribute: the class's method again


def test_columns_and_functions_ask_the_jvm_no_class_names_and_give_the_same_results(spark):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(1, "a"), (2, None)], "n INT, s STRING")
    with names_asked(spark) as asked:
        rows = (df.select(F.col("n"), F.lit(2).alias("two"), F.upper("s").alias("upper"), F.expr("n + 1").alias("next"),
                          (~F.col("s").isNull()).alias("has_s"))
                .orderBy("n").collect())
    assert [tuple(r) for r in rows] == [(1, 2, "A", 2, True), (2, 2, None, 3, False)]
    assert asked == []

    # what the view keeps is py4j's own answer: the class each name resolves to in this JVM
    view = spark.sparkContext._jvm
    kept = {name: vars(view)[name]._fqn for name in PYSPARK_LOOKUPS if name in vars(view)}
    assert kept == {
        "functions": "org.apache.spark.sql.functions",
        "org.apache.spark.sql.functions": "org.apache.spark.sql.functions",
        "PythonUtils": "org.apache.spark.api.python.PythonUtils",
        "PythonSQLUtils": "org.apache.spark.sql.api.python.PythonSQLUtils",
        "org.apache.spark.sql.classic.SparkSession": "org.apache.spark.sql.classic.SparkSession",
        "org.apache.spark.sql.classic.SparkSession$": "org.apache.spark.sql.classic.SparkSession$",
    }
