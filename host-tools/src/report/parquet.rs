//! Parquet output of the flat [`Table`]: one row group, every column
//! `OPTIONAL` (null where a column does not apply), text as UTF-8 byte
//! arrays, integers as INT64, floats as DOUBLE. Readable by DuckDB, pandas
//! (pyarrow), Polars and Spark. Column chunks are compressed with zstd.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::table::{Cell, Kind, Table};

/// The Parquet schema of `table`.
fn schema(table: &Table) -> Result<Type, ParquetError> {
    let fields = table
        .columns
        .iter()
        .map(|&(name, kind)| {
            let builder = match kind {
                Kind::Text => Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
                    .with_logical_type(Some(LogicalType::String)),
                Kind::Int => Type::primitive_type_builder(name, PhysicalType::INT64),
                Kind::Float => Type::primitive_type_builder(name, PhysicalType::DOUBLE),
            };
            builder
                .with_repetition(Repetition::OPTIONAL)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Type::group_type_builder("tabletalk")
        .with_fields(fields)
        .build()
}

/// Writes `table` as a Parquet file to `out`.
///
/// # Errors
/// Parquet or I/O errors.
pub fn write<W: Write + Send>(table: &Table, out: W) -> Result<(), ParquetError> {
    let props = Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("tabletalk {}", env!("CARGO_PKG_VERSION")))
            // A table of 7,900 logs: 1.09 MB uncompressed, about 144 KB so.
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, Arc::new(schema(table)?), props)?;
    let mut group = writer.next_row_group()?;
    let mut column = 0;
    while let Some(mut column_writer) = group.next_column()? {
        let cells = table.rows.iter().filter_map(|row| row.get(column));
        let mut levels = Vec::with_capacity(table.rows.len());
        match table.columns.get(column).map(|c| c.1) {
            Some(Kind::Text) => {
                let mut values = Vec::new();
                for cell in cells {
                    let value = match cell {
                        Cell::Text(v) => v.as_deref(),
                        _ => None,
                    };
                    levels.push(i16::from(value.is_some()));
                    values.extend(value.map(|v| ByteArray::from(v.as_bytes().to_vec())));
                }
                column_writer
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&levels), None)?;
            }
            Some(Kind::Int) => {
                let mut values = Vec::new();
                for cell in cells {
                    let value = match cell {
                        Cell::Int(v) => *v,
                        _ => None,
                    };
                    levels.push(i16::from(value.is_some()));
                    values.extend(value);
                }
                column_writer
                    .typed::<Int64Type>()
                    .write_batch(&values, Some(&levels), None)?;
            }
            Some(Kind::Float) | None => {
                let mut values = Vec::new();
                for cell in cells {
                    let value = match cell {
                        Cell::Float(v) => *v,
                        _ => None,
                    };
                    levels.push(i16::from(value.is_some()));
                    values.extend(value);
                }
                column_writer
                    .typed::<DoubleType>()
                    .write_batch(&values, Some(&levels), None)?;
            }
        }
        column_writer.close()?;
        column += 1;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    #[test]
    fn round_trip_through_the_parquet_reader() {
        let table = Table {
            columns: vec![
                ("level", Kind::Text),
                ("seat", Kind::Int),
                ("share", Kind::Float),
            ],
            rows: vec![
                vec![
                    Cell::Text(Some("session".into())),
                    Cell::Int(None),
                    Cell::Float(None),
                ],
                vec![
                    Cell::Text(Some("seat".into())),
                    Cell::Int(Some(3)),
                    Cell::Float(Some(0.25)),
                ],
            ],
        };
        let mut bytes = Vec::new();
        write(&table, &mut bytes).unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
        for column in reader.metadata().row_group(0).columns() {
            assert_eq!(
                column.compression(),
                Compression::ZSTD(ZstdLevel::default())
            );
        }
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let fields: Vec<Vec<Field>> = rows
            .iter()
            .map(|r| r.get_column_iter().map(|(_, f)| f.clone()).collect())
            .collect();
        assert_eq!(
            fields[0],
            [Field::Str("session".into()), Field::Null, Field::Null]
        );
        assert_eq!(
            fields[1],
            [
                Field::Str("seat".into()),
                Field::Long(3),
                Field::Double(0.25)
            ]
        );
    }
}
