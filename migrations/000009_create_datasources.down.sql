DROP TABLE datasources;
